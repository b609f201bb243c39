#ifndef CRABBITMQ_SHIM_H
#define CRABBITMQ_SHIM_H

/* rabbitmq-c 0.11 (Debian 12) installs flat headers; 0.12+ moved them under rabbitmq-c/. */
#if __has_include(<rabbitmq-c/amqp.h>)
#include <rabbitmq-c/amqp.h>
#include <rabbitmq-c/tcp_socket.h>
#else
#include <amqp.h>
#include <amqp_tcp_socket.h>
#endif

/* amqp_login is variadic, which Swift cannot call: a fixed-arity wrapper for PLAIN. */
static inline amqp_rpc_reply_t portal_amqp_login_plain(amqp_connection_state_t state,
                                                       const char *vhost,
                                                       int channel_max,
                                                       int frame_max,
                                                       int heartbeat,
                                                       const char *user,
                                                       const char *password) {
    return amqp_login(state, vhost, channel_max, frame_max, heartbeat,
                      AMQP_SASL_METHOD_PLAIN, user, password);
}


/* Method ids and property flags are cast or shifted macros that Swift does not import. */
static const uint32_t portal_method_basic_ack = AMQP_BASIC_ACK_METHOD;
static const uint32_t portal_method_basic_nack = AMQP_BASIC_NACK_METHOD;
static const uint32_t portal_method_basic_return = AMQP_BASIC_RETURN_METHOD;
static const uint32_t portal_method_channel_close = AMQP_CHANNEL_CLOSE_METHOD;
static const uint32_t portal_method_connection_close = AMQP_CONNECTION_CLOSE_METHOD;
static const uint32_t portal_method_basic_get_ok = AMQP_BASIC_GET_OK_METHOD;
static const uint32_t portal_method_basic_get_empty = AMQP_BASIC_GET_EMPTY_METHOD;
static const uint8_t portal_frame_method = AMQP_FRAME_METHOD;
static const uint32_t portal_flag_content_type = AMQP_BASIC_CONTENT_TYPE_FLAG;
static const uint32_t portal_flag_headers = AMQP_BASIC_HEADERS_FLAG;
static const uint32_t portal_flag_delivery_mode = AMQP_BASIC_DELIVERY_MODE_FLAG;
static const uint32_t portal_flag_message_id = AMQP_BASIC_MESSAGE_ID_FLAG;
static const uint32_t portal_flag_type = AMQP_BASIC_TYPE_FLAG;
static const uint32_t portal_flag_correlation_id = AMQP_BASIC_CORRELATION_ID_FLAG;
static const uint32_t portal_flag_timestamp = AMQP_BASIC_TIMESTAMP_FLAG;
static const uint32_t portal_flag_app_id = AMQP_BASIC_APP_ID_FLAG;

#endif
