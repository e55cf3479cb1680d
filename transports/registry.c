/* SPDX-License-Identifier: MIT */
/* The registry: one line per transport, the only place that lists them, in
 * the order their backends are opened, scanned and merged. Each line holds
 * the transport's board-id space (api.md §4.2, Decision 2), the one table
 * that configuration validation and board resolution read. A transport
 * compiled out (meson -D<option>=disabled) keeps its line with no hooks:
 * its configuration section is then refused naming the option. */
#include "registry.h"

#include "plc_config.h"
#if DCRE_HAVE_IPMI
#include "ipmi_transport.h"
#define IPMI_HOOKS (&dcre_ipmi_hooks)
#else
#define IPMI_HOOKS NULL
#endif
#if DCRE_HAVE_REDFISH
#include "rf_transport.h"
#define REDFISH_HOOKS (&dcre_redfish_hooks)
#else
#define REDFISH_HOOKS NULL
#endif

static const struct dcre_transport transports[] = {
    /* name, label, meson option, --serial key, {lo, hi, first automatic id, one board}, hooks */
    {"plc", "PLC bus", NULL, "device", {0x00000000u, 0x3FFFFFFFu, 0, false}, &dcre_plc_hooks},
    {"ipmi", "IPMI", "ipmi", NULL, {0x40000000u, 0x4FFFFFFFu, 0x40000001u, true}, IPMI_HOOKS},
    {"redfish",
     "Redfish",
     "redfish",
     NULL,
     {0x70000000u, 0x7FFFFFFFu, 0x70000000u, true},
     REDFISH_HOOKS},
};

const struct dcre_registry dcre_registry = {transports, sizeof(transports) / sizeof(transports[0])};
