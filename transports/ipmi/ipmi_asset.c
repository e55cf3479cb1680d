/* SPDX-License-Identifier: MIT */
#include "ipmi_asset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <freeipmi/freeipmi.h>

#include "alloc.h"
#include "ipmi_map.h"
#include "log.h"

/* indices of struct ipmi_asset.field */
enum {
	BOARD_MANUFACTURER,
	BOARD_PART_NUMBER,
	BOARD_PRODUCT_NAME,
	BOARD_SERIAL_NUMBER,
	CHASSIS_TYPE,
	CHASSIS_PART_NUMBER,
	CHASSIS_SERIAL_NUMBER,
	PRODUCT_ASSET_TAG,
	PRODUCT_MANUFACTURER,
	PRODUCT_PART_NUMBER,
	PRODUCT_NAME,
	PRODUCT_SERIAL_NUMBER,
	PRODUCT_VERSION,
};

struct fru_read {
	struct ipmi_asset *out;
	uint8_t *area;
};

static void text(ipmi_fru_ctx_t fru, const ipmi_fru_field_t *f, uint8_t language, char *dst)
{
	char buf[IPMI_FRU_AREA_STRING_MAX + 1];
	unsigned len = IPMI_FRU_AREA_STRING_MAX;

	dst[0] = '\0';
	if (!f->type_length_field_length)
		return;
	memset(buf, 0, sizeof(buf));
	if (ipmi_fru_type_length_field_to_string(
	        fru, f->type_length_field, f->type_length_field_length, language, buf, &len) < 0)
		return;
	if (len >= IPMI_ASSET_FIELD_MAX)
		len = IPMI_ASSET_FIELD_MAX - 1;
	memcpy(dst, buf, len);
	dst[len] = '\0';
}

/* Decode one info area; false with msg set if it does not parse. */
static bool area(ipmi_fru_ctx_t fru, unsigned type, const uint8_t *a, unsigned len,
                 struct ipmi_asset *out, struct dcre_msg *msg)
{
	ipmi_fru_field_t f[7];
	uint8_t language = IPMI_FRU_LANGUAGE_CODE_ENGLISH, chassis_type;
	uint32_t mfg_time;
	int r = 0;

	memset(f, 0, sizeof(f));
	switch (type) {
	case IPMI_FRU_AREA_TYPE_CHASSIS_INFO_AREA:
		r = ipmi_fru_chassis_info_area(fru, a, len, &chassis_type, &f[0], &f[1], NULL, 0);
		if (r < 0)
			break;
		snprintf(out->field[CHASSIS_TYPE], IPMI_ASSET_FIELD_MAX, "%s",
		         ipmi_map_chassis_type(chassis_type));
		text(fru, &f[0], language, out->field[CHASSIS_PART_NUMBER]);
		text(fru, &f[1], language, out->field[CHASSIS_SERIAL_NUMBER]);
		break;
	case IPMI_FRU_AREA_TYPE_BOARD_INFO_AREA:
		r = ipmi_fru_board_info_area(fru, a, len, &language, &mfg_time, &f[0], &f[1], &f[2],
		                             &f[3], &f[4], NULL, 0);
		if (r < 0)
			break;
		text(fru, &f[0], language, out->field[BOARD_MANUFACTURER]);
		text(fru, &f[1], language, out->field[BOARD_PRODUCT_NAME]);
		text(fru, &f[2], language, out->field[BOARD_SERIAL_NUMBER]);
		text(fru, &f[3], language, out->field[BOARD_PART_NUMBER]);
		break;
	case IPMI_FRU_AREA_TYPE_PRODUCT_INFO_AREA:
		r = ipmi_fru_product_info_area(fru, a, len, &language, &f[0], &f[1], &f[2], &f[3],
		                               &f[4], &f[5], &f[6], NULL, 0);
		if (r < 0)
			break;
		text(fru, &f[0], language, out->field[PRODUCT_MANUFACTURER]);
		text(fru, &f[1], language, out->field[PRODUCT_NAME]);
		text(fru, &f[2], language, out->field[PRODUCT_PART_NUMBER]);
		text(fru, &f[3], language, out->field[PRODUCT_VERSION]);
		text(fru, &f[4], language, out->field[PRODUCT_SERIAL_NUMBER]);
		text(fru, &f[5], language, out->field[PRODUCT_ASSET_TAG]);
		break;
	default:
		break; /* multirecord areas: not part of the answer */
	}
	if (r < 0) {
		dcre_msg_set(msg, DCRE_EPROTO, "FRU device 0: %s", ipmi_fru_ctx_errormsg(fru));
		return false;
	}
	return true;
}

/* The exchange result of a failed FRU call. */
static int fru_failed(ipmi_fru_ctx_t fru, struct dcre_msg *msg)
{
	int e = ipmi_fru_ctx_errnum(fru);

	if (e == IPMI_FRU_ERR_IPMI_ERROR || e == IPMI_FRU_ERR_DEVICE_BUSY)
		return IPMI_X_FAILED;
	return dcre_msg_set(msg, DCRE_EPROTO, "FRU device 0: %s", ipmi_fru_ctx_errormsg(fru));
}

/* Get FRU Inventory Area Info and Read FRU Data of FRU device 0 (FreeIPMI
 * reads it in chunks), then the chassis, board and product areas. */
static int x_fru(struct ipmi_session *s, ipmi_ctx_t ctx, void *arg, struct dcre_msg *msg)
{
	struct fru_read *fr = arg;
	ipmi_fru_ctx_t fru = ipmi_fru_ctx_create(ctx);
	bool opened = false;
	int rc = DCRE_EPROTO, more;

	(void)s;
	memset(fr->out, 0, sizeof(*fr->out));
	if (!fru) {
		rc = dcre_msg_set(msg, DCRE_EINTERNAL, "Internal error: ipmi_fru_ctx_create");
		goto out;
	}
	if (ipmi_fru_open_device_id(fru, 0) < 0) {
		if (ipmi_fru_ctx_errnum(fru) == IPMI_FRU_ERR_NO_FRU_INFORMATION)
			rc = 0; /* no areas: every field "" */
		else
			rc = fru_failed(fru, msg);
		goto out;
	}
	opened = true;
	if (ipmi_fru_first(fru) < 0) {
		rc = fru_failed(fru, msg);
		goto out;
	}
	do {
		unsigned type = 0, len = 0;
		if (ipmi_fru_read_data_area(fru, &type, &len, fr->area,
		                            IPMI_FRU_AREA_SIZE_MAX + 1) < 0) {
			rc = fru_failed(fru, msg);
			goto out;
		}
		if (len && !area(fru, type, fr->area, len, fr->out, msg))
			goto out;
	} while ((more = ipmi_fru_next(fru)) == 1);
	if (more < 0) {
		rc = fru_failed(fru, msg);
		goto out;
	}
	rc = 0;
out:
	if (opened)
		ipmi_fru_close_device_id(fru);
	ipmi_fru_ctx_destroy(fru);
	return rc;
}

enum dcre_err ipmi_asset_read(struct ipmi_session *s, struct ipmi_asset *out, struct dcre_msg *msg)
{
	struct fru_read fr = {.out = out, .area = dcre_xmalloc(IPMI_FRU_AREA_SIZE_MAX + 1)};
	enum dcre_err rc = ipmi_session_call(s, "Read FRU Data", IPMI_REPEAT_SAFE, x_fru, &fr, msg);

	free(fr.area);
	return rc;
}
