/* version: openwinrm's release, which every program prints for --version
 * and the Makefile reads for libwinrm's pkg-config file (one place). */
#ifndef OPENWINRM_VERSION_H
#define OPENWINRM_VERSION_H

#define OPENWINRM_VERSION "0.5.0"

#endif
