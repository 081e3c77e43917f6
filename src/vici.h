/* vici.h - strongSwan's VICI wire format: build messages and packets, decode bytes to a tree.
 *
 * Pure: no sockets, no printing. The transport is a sequence of segments, each a 4-byte
 * big-endian length (of the data after it) then a packet: a type byte, for named types a
 * name (1-byte length, not NUL-terminated), then for message-carrying types a message.
 * A message is a sequence of elements: SECTION_START name, SECTION_END, KEY_VALUE name value
 * (2-byte big-endian value length), LIST_START name, LIST_ITEM value, LIST_END.
 * Reference: strongSwan src/libcharon/plugins/vici/README.md.
 */
#ifndef TUNNELCTL_VICI_H
#define TUNNELCTL_VICI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "util.h"

#define VICI_MAX_MESSAGE (512u * 1024u)	/* segment data limit (charon's own limit) */
#define VICI_MAX_DEPTH 16		/* section nesting in a message we decode */
#define VICI_MAX_NAME 255		/* names carry a 1-byte length */
#define VICI_MAX_VALUE 65535		/* values carry a 2-byte length */
#define VICI_HEADER_LEN 4		/* the segment length field */

enum vici_packet_type {
	VICI_CMD_REQUEST = 0,		/* named, message */
	VICI_CMD_RESPONSE = 1,		/* message */
	VICI_CMD_UNKNOWN = 2,		/* nothing */
	VICI_EVENT_REGISTER = 3,	/* named */
	VICI_EVENT_UNREGISTER = 4,	/* named */
	VICI_EVENT_CONFIRM = 5,		/* nothing */
	VICI_EVENT_UNKNOWN = 6,		/* nothing */
	VICI_EVENT = 7,			/* named, message */
	VICI_PACKET_TYPES
};
/* Names table, index by enum vici_packet_type: "CMD_REQUEST" ... "EVENT". */
extern const char *const vici_packet_type_names[VICI_PACKET_TYPES];

enum vici_element {
	VICI_SECTION_START = 1,
	VICI_SECTION_END = 2,
	VICI_KEY_VALUE = 3,
	VICI_LIST_START = 4,
	VICI_LIST_ITEM = 5,
	VICI_LIST_END = 6,
	VICI_ELEMENTS
};
/* Names table, index by enum vici_element ([0] is "INVALID"). */
extern const char *const vici_element_names[VICI_ELEMENTS];

/* True when packets of this type carry a name / a message. */
bool vici_packet_has_name(enum vici_packet_type type);
bool vici_packet_has_message(enum vici_packet_type type);

/* ---- building ---- */

/* A message under construction. Misuse (unbalanced sections, a name longer than 255 bytes,
 * a value longer than 65535, a key/value inside a list, nesting deeper than VICI_MAX_DEPTH)
 * is remembered as the first error and reported by vici_msg_error() and
 * vici_packet_build(), so callers check once. */
struct vici_msg {
	struct buf b;
	unsigned depth;		/* open sections */
	bool in_list;
	int err;		/* first error, 0 or -errno */
};

void vici_msg_init(struct vici_msg *m);
/* Wipe (messages may carry secrets) and free; the message can be reused after init. */
void vici_msg_free(struct vici_msg *m);
void vici_msg_section_start(struct vici_msg *m, const char *name);
void vici_msg_section_end(struct vici_msg *m);
/* A key with a raw value of len bytes. */
void vici_msg_add_kv(struct vici_msg *m, const char *name, const void *value, size_t len);
void vici_msg_add_str(struct vici_msg *m, const char *name, const char *value);
void vici_msg_add_strf(struct vici_msg *m, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void vici_msg_list_start(struct vici_msg *m, const char *name);
void vici_msg_list_item(struct vici_msg *m, const void *value, size_t len);
void vici_msg_list_item_str(struct vici_msg *m, const char *value);
void vici_msg_list_end(struct vici_msg *m);
/* 0, or the first error: -EINVAL (misuse), -E2BIG (value/name too long), -ELOOP (sections
 * nested deeper than VICI_MAX_DEPTH); -EINVAL also when sections or a list are still open. */
int vici_msg_error(const struct vici_msg *m);

/* Append one segment (length header, type, name if the type has one, msg if the type carries
 * one; msg NULL means an empty message) to out. 0, -EINVAL (name missing or too long, msg
 * unfinished or broken), -E2BIG (segment data over VICI_MAX_MESSAGE). out unchanged on error. */
int vici_packet_build(enum vici_packet_type type, const char *name, const struct vici_msg *msg,
		      struct buf *out);

/* ---- decoding ---- */

enum vici_node_type {
	VICI_NODE_SECTION,	/* children: sections, key/values, lists */
	VICI_NODE_KV,		/* name, value */
	VICI_NODE_LIST,		/* children: VICI_NODE_ITEM */
	VICI_NODE_ITEM,		/* value (no name) */
};
extern const char *const vici_node_type_names[];

/* A decoded message: one tree in one block, freed by vici_node_free on the root (never on a
 * node below it). */
struct vici_node {
	enum vici_node_type type;
	char *name;		/* NUL-terminated; "" for the root and for items */
	char *value;		/* KV/ITEM: len bytes then a NUL not counted in len; else NULL */
	size_t len;
	struct vici_node **child;	/* in wire order */
	size_t n_child;
	size_t block;		/* the root: bytes of the block holding the tree; else 0 */
};

/* Where and why decoding failed. */
struct vici_err {
	size_t offset;		/* byte offset in the input of the element that is wrong */
	char what[160];
};

/* A decoded packet. msg is an empty section for types without a message. */
struct vici_packet {
	enum vici_packet_type type;
	char name[VICI_MAX_NAME + 1];
	struct vici_node *msg;	/* owned; free with vici_packet_clear */
};

/* Decode a message (the bytes after the packet type and name) into a new tree in *out.
 * 0, -EBADMSG (malformed; err says where and what), -E2BIG (longer than VICI_MAX_MESSAGE).
 * Offsets in err are relative to data. */
int vici_msg_decode(const void *data, size_t len, struct vici_node **out, struct vici_err *err);

/* Decode the first segment in data (length header included) into *pkt; *used gets its size.
 * 0; -EAGAIN when data holds only part of the segment (err says how much is missing: at end
 * of input that is truncation); -E2BIG when the length header exceeds VICI_MAX_MESSAGE;
 * -EBADMSG for a bad packet type, a missing name or a malformed message. */
int vici_packet_decode(const void *data, size_t len, size_t *used, struct vici_packet *pkt,
		       struct vici_err *err);
void vici_packet_clear(struct vici_packet *pkt);

void vici_node_free(struct vici_node *n);
/* Free n decoded messages (roots) and the array that holds them; NULL is fine. */
void vici_nodes_free(struct vici_node **v, size_t n);

/* Re-encode a decoded section's contents (not its own name) into m: round trips. */
void vici_msg_add_node(struct vici_msg *m, const struct vici_node *sec);

/* ---- lookups (all accept NULL and return NULL/defaults) ---- */

/* Direct child of sec with this exact name (names may contain dots), or NULL. */
struct vici_node *vici_child(const struct vici_node *sec, const char *name);
/* Follow a dotted path of section names to the last element ("a.b.c"), or NULL. */
struct vici_node *vici_find(const struct vici_node *sec, const char *path);
/* The value at path as a C string if it is a key/value without NUL bytes, else dflt.
 * The pointer lives as long as the tree. */
const char *vici_find_str(const struct vici_node *sec, const char *path, const char *dflt);
/* A fresh NUL-terminated copy of the value at path (caller frees), or NULL if absent,
 * not a key/value, or holding NUL bytes. */
char *vici_get_str(const struct vici_node *sec, const char *path);
/* The decimal value at path. 0, -ENOENT (absent), -EINVAL (not a decimal number). */
int vici_get_u64(const struct vici_node *sec, const char *path, uint64_t *out);
/* The i-th item of a list as a C string (NULL when out of range or holding NUL bytes). */
const char *vici_list_str(const struct vici_node *list, size_t i);
/* True when the list holds an item equal to s. */
bool vici_list_has(const struct vici_node *list, const char *s);

/* ---- events ---- */

/* A "log" event as one charon filelog line, "[STAMP ]NN[GRP] [<name|id> ]msg" without a line
 * end (stamp NULL or "": none), so the doctor's parser reads it. Returns the length written;
 * cut to cap - 1 bytes and NUL-terminated. */
size_t vici_log_format(const struct vici_node *msg, const char *stamp, char *out, size_t cap);

#endif
