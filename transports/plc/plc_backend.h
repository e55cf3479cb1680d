/* SPDX-License-Identifier: MIT */
/* The PLC bus backend: the one constructor this transport exports to core. */
#ifndef PLC_BACKEND_H
#define PLC_BACKEND_H

#include "backend.h"
#include "plc_config.h"

/* Main process, before fork: create the lock file and reset the counter. */
enum dcre_err dcre_plc_prepare(const struct dcre_plc_config *cfg, struct dcre_msg *msg);

struct plc_modem;

/* A worker's PLC backend. Opens nothing until the first bus transaction.
 * cfg is borrowed and must outlive the backend. modem: with rpi_hat, the
 * modem whose lines the main process requested (plc_modem.h), borrowed and
 * used only under the bus lock; NULL for a plain serial port. Caller frees
 * with dcre_backend_free(). */
struct dcre_backend *dcre_plc_backend_new(const struct dcre_plc_config *cfg,
                                          struct plc_modem *modem);

/* The scan-all board id (plc-protocol.md §9) from the configured or the
 * first interface's MAC address. Exposed for tests. */
uint32_t dcre_plc_scan_all_id(const struct dcre_plc_config *cfg);
uint32_t dcre_plc_scan_all_id_from_mac(const uint8_t mac[6], int time_slice);

#endif
