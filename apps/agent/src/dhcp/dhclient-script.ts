/** Quotes `text` for a POSIX shell: single quotes, with `'` written as `'\''`. */
function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/**
 * The `-sf` script every dhclient of the agent runs. It reports the lease to the agent (one
 * `key=value` file per device and family in `reportDir`, replaced atomically) and touches
 * nothing else: no address, route or resolv.conf. The agent decides what to plumb. On PREINIT6
 * it waits (up to 5 s) for the device's link-local address to leave duplicate address
 * detection, since dhclient -6 binds to it and gives up when it cannot.
 */
export function dhclientScript(reportDir: string): string {
  return `#!/bin/sh
# vsnet-agent's dhclient script: reports the lease to the agent and changes nothing.
dir=${shellQuote(reportDir)}
case "$reason" in
  PREINIT6)
    i=0
    while [ "$i" -lt 50 ]; do
      if ip -6 addr show dev "$interface" scope link | grep -q inet6 &&
        ! ip -6 addr show dev "$interface" scope link tentative | grep -q inet6; then
        break
      fi
      sleep 0.1
      i=$((i + 1))
    done
    exit 0 ;;
  BOUND|RENEW|REBIND|REBOOT) family=4; state=bound ;;
  BOUND6|RENEW6|REBIND6) family=6; state=bound ;;
  EXPIRE|FAIL|RELEASE|STOP|TIMEOUT) family=4; state=none ;;
  EXPIRE6|RELEASE6|STOP6) family=6; state=none ;;
  *) exit 0 ;;
esac
file="$dir/$interface.v$family"
tmp="$file.tmp.$$"
{
  printf 'state=%s\\n' "$state"
  printf 'reason=%s\\n' "$reason"
  printf 'ip=%s\\n' "$new_ip_address"
  printf 'mask=%s\\n' "$new_subnet_mask"
  printf 'routers=%s\\n' "$new_routers"
  printf 'ip6=%s\\n' "$new_ip6_address"
  printf 'ip6_prefixlen=%s\\n' "$new_ip6_prefixlen"
  printf 'vendor_options=%s\\n' "$new_vendor_encapsulated_options"
  printf 'server=%s\\n' "$new_dhcp_server_identifier"
  printf 'expiry=%s\\n' "$new_expiry"
  printf 'server6=%s\\n' "$new_dhcp6_server_id"
  printf 'life_starts=%s\\n' "$new_life_starts"
  printf 'max_life=%s\\n' "$new_max_life"
} > "$tmp" && mv -f "$tmp" "$file"
# TIMEOUT asks whether an old lease may be used: no, only a server's answer counts.
[ "$reason" = TIMEOUT ] && exit 1
exit 0
`;
}
