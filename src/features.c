/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The table of features (feature.h), in dispatch order: the only engine
 * file that includes feature headers. Chat comes first, so its pump runs
 * before the files' and pending chat holds file data back.
 *
 * Adding a feature (room.c, say) is: its file with a `const struct
 * feature room_feature` owning a range of message types that proto.c
 * decodes, its header included here, and one entry in this table. The
 * dispatch code in engine.c and conn.c does not change.
 */
#include <stddef.h>

#include "chat.h"
#include "feature.h"
#include "flip.h"
#include "lan.h"
#include "portmap.h"
#include "rdv.h"
#include "room.h"
#include "swarm.h"
#include "xfer.h"

const struct feature *const features[] = {
	&chat_feature,
	&flip_feature,
	&xfer_feature,
	&lan_feature,
	&portmap_feature,
	&rdv_feature,
	&room_feature,
	&swarm_feature,
};
const size_t nfeatures = sizeof features / sizeof features[0];
