package doctor

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

func checkRedis(ctx context.Context, env *Env) Result {
	cfg := env.Config.Redis
	if cfg.Addr == "" {
		// The in-memory limiter is the default. It suits one API process,
		// and only several processes need redis.addr to share limits.
		return pass("in-memory limiter (redis.addr is not set)")
	}
	host, _, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return fail(fmt.Sprintf("redis.addr %q is not host:port", cfg.Addr), "set redis.addr to host:port, such as 127.0.0.1:6379")
	}
	if !strings.Contains(host, ".") && net.ParseIP(host) == nil && host != "localhost" {
		if _, err := env.resolver().LookupHost(ctx, host); err != nil {
			return skip("", fmt.Sprintf("redis.addr %s names a service inside the stack's network, "+
				"which this machine cannot reach; the api check reports the limiter the API uses", cfg.Addr))
		}
	}

	rdb := redis.NewClient(&redis.Options{
		Addr: cfg.Addr, Password: cfg.Password,
		MaxRetries: -1, DialTimeout: deadlineOr(ctx), ReadTimeout: deadlineOr(ctx),
		DisableIdentity: true,
	})
	defer rdb.Close()
	pong, err := rdb.Ping(ctx).Result()
	if err != nil {
		return redisFailure(cfg.Addr, err)
	}
	return pass("PING %s returned %s with the configured password", cfg.Addr, pong)
}

func redisFailure(addr string, err error) Result {
	msg := err.Error()
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return fail(fmt.Sprintf("Redis at %s is unreachable: connection refused", addr),
			"start Redis (`mlops up` starts the stack's) or correct redis.addr")
	case strings.Contains(msg, "WRONGPASS"), strings.Contains(msg, "invalid password"), strings.Contains(msg, "NOAUTH"):
		return fail(fmt.Sprintf("Redis at %s rejects the password: %s", addr, msg),
			"make redis.password (MLOPS_REDIS_PASSWORD) equal to Redis's requirepass")
	case strings.Contains(msg, "without any password configured"):
		return warn(fmt.Sprintf("Redis at %s has no password but redis.password is set", addr),
			"set requirepass in Redis to redis.password, so nobody else can change the rate limits")
	}
	return fail(fmt.Sprintf("PING %s: %v", addr, err), "check that redis.addr is a running Redis and nothing blocks the port")
}

// deadlineOr returns the time left before ctx's deadline, or zero (the
// go-redis default) when it has none.
func deadlineOr(ctx context.Context) time.Duration {
	if dl, ok := ctx.Deadline(); ok {
		return time.Until(dl)
	}
	return 0
}
