/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef NTPD_VERSION_H
#define NTPD_VERSION_H

#define NTPD_VERSION "0.1.0"

#endif
