using System.Collections.Concurrent;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using OperatorConsole.App.Hosting;

namespace OperatorConsole.App.Auth;

/// <summary>
/// Budgets for the sign-in and forgot-password forms, per client address and per account (the e-mail typed), and the
/// sign-in lockout.
/// <para>
/// Lockout design: failures are counted per account + client address pair, not per account. Five failures lock that
/// pair for <c>RateLimits:LockoutMinutes</c>; the same account from another address (the real user) still signs in,
/// so knowing someone's e-mail is not enough to lock them out. Guessing from many addresses is bounded by the
/// per-account budget instead (<c>LoginPerAccountPer15Minutes</c>), which only slows sign-ins down for a window and
/// then refills. Identity's own per-account lockout stays available to administrators (a locked account stays locked).
/// </para>
/// State is in memory, per node: with N nodes an attacker gets at most N times the budget.
/// </summary>
public sealed class SignInThrottle : IDisposable
{
    private readonly RateLimitOptions _limits;
    private readonly TimeProvider _clock;
    private readonly PartitionedRateLimiter<string> _loginPerIp;
    private readonly PartitionedRateLimiter<string> _loginPerAccount;
    private readonly PartitionedRateLimiter<string> _forgotPerIp;
    private readonly PartitionedRateLimiter<string> _forgotPerAccount;
    private readonly ConcurrentDictionary<string, PairState> _pairs = new();

    public SignInThrottle(IOptions<RateLimitOptions> options, TimeProvider clock)
    {
        _limits = options.Value;
        _clock = clock;
        _loginPerIp = Window(_limits.LoginPerIpPerMinute, TimeSpan.FromMinutes(1));
        _loginPerAccount = Window(_limits.LoginPerAccountPer15Minutes, TimeSpan.FromMinutes(15));
        _forgotPerIp = Window(_limits.ForgotPasswordPerIpPerMinute, TimeSpan.FromMinutes(1));
        _forgotPerAccount = Window(_limits.ForgotPasswordPerAccountPerHour, TimeSpan.FromHours(1));
    }

    private static PartitionedRateLimiter<string> Window(int permits, TimeSpan window) =>
        PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetFixedWindowLimiter(key,
            _ => new FixedWindowRateLimiterOptions { PermitLimit = permits, Window = window, QueueLimit = 0 }));

    /// <summary>One sign-in attempt; false when the address or the account is out of budget.</summary>
    public bool TryLogin(string clientAddress, string account) =>
        Take(_loginPerIp, clientAddress) && Take(_loginPerAccount, Normalize(account));

    /// <summary>One forgot-password request; false when the address or the account is out of budget.</summary>
    public bool TryForgotPassword(string clientAddress, string account) =>
        Take(_forgotPerIp, clientAddress) && Take(_forgotPerAccount, Normalize(account));

    public bool IsLockedOut(string clientAddress, string account) =>
        _pairs.TryGetValue(Pair(clientAddress, account), out var state) && state.LockedUntil > _clock.GetUtcNow();

    /// <summary>Counts a failed sign-in; true when it locks the pair out.</summary>
    public bool RecordFailure(string clientAddress, string account)
    {
        var now = _clock.GetUtcNow();
        Prune(now);
        var state = _pairs.GetOrAdd(Pair(clientAddress, account), _ => new PairState());
        lock (state)
        {
            // Failures spread over longer than a lockout do not add up.
            if (state.LastFailure < now.AddMinutes(-_limits.LockoutMinutes)) state.Failures = 0;
            state.LastFailure = now;
            if (++state.Failures < _limits.LockoutFailures) return false;
            state.Failures = 0;
            state.LockedUntil = now.AddMinutes(_limits.LockoutMinutes);
            return true;
        }
    }

    public void RecordSuccess(string clientAddress, string account) => _pairs.TryRemove(Pair(clientAddress, account), out _);

    private static bool Take(PartitionedRateLimiter<string> limiter, string key)
    {
        using var lease = limiter.AttemptAcquire(key);
        return lease.IsAcquired;
    }

    private static string Normalize(string account) => account.Trim().ToLowerInvariant();

    private static string Pair(string clientAddress, string account) => Normalize(account) + "|" + clientAddress;

    // Forget pairs that neither failed nor stayed locked for a day, so the map does not grow with every address seen.
    private void Prune(DateTimeOffset now)
    {
        if (_pairs.Count < 10_000) return;
        foreach (var (key, state) in _pairs)
            if (state.LockedUntil < now && state.LastFailure < now.AddDays(-1)) _pairs.TryRemove(key, out _);
    }

    public void Dispose()
    {
        _loginPerIp.Dispose();
        _loginPerAccount.Dispose();
        _forgotPerIp.Dispose();
        _forgotPerAccount.Dispose();
    }

    private sealed class PairState
    {
        public int Failures;
        public DateTimeOffset LockedUntil;
        public DateTimeOffset LastFailure;
    }
}
