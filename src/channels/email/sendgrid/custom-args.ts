/**
 * The custom arg the adapter sets on each message; SendGrid echoes custom args, flattened, into
 * every Event Webhook event of that message, which is how a receipt finds its delivery.
 */
export const DELIVERY_ID_ARG = 'herald_delivery_id';
