import { describeDhcpLab } from './support/dhcp-lab-suite.js';

// Issue 6 parts 3–4 against ISC dhcpd 4.4 serving the generated configuration (LAB.md).
describeDhcpLab('dhcpd');
