/**
 * What ioredis (and BullMQ, which hands its `url` to ioredis) is given for VSNET_REDIS_URL:
 * the URL itself, or for `unix:///path/redis.sock` the bare socket path, the one form of a unix
 * socket ioredis reads from a string.
 */
export function redisTarget(url: string): string {
  return url.startsWith('unix:') ? decodeURIComponent(new URL(url).pathname) : url;
}
