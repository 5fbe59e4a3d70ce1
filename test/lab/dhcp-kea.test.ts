import { describeDhcpLab } from './support/dhcp-lab-suite.js';

// Issue 6 parts 3–4 against Kea 2.2 serving the generated configuration (LAB.md).
describeDhcpLab('kea');
