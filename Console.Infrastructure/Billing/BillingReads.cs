using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Domain.Billing;
using OperatorConsole.Domain.Tenants;
using OperatorConsole.Infrastructure.Data;
using OperatorConsole.Infrastructure.Tenants;

namespace OperatorConsole.Infrastructure.Billing;

/// <summary>One day of a tenant's usage (the tenant's own calendar day).</summary>
public sealed record DailyUsage(DateOnly Day, int Replies, long Tokens, decimal Cost);

/// <summary>
/// A tenant's meters: AI replies today and this calendar month (in the tenant's time zone) against its plan, tokens and
/// estimated AI cost this month, the prepaid-credit balance, and the last 30 days for the chart.
/// </summary>
public sealed record UsageSummary(
    int RepliesToday,
    int RepliesThisMonth,
    long TokensThisMonth,
    decimal CostThisMonth,
    int CreditBalance,
    int? RepliesPerDay,
    int? RepliesPerMonth,
    IReadOnlyList<DailyUsage> Days)
{
    /// <summary>Share of the daily or monthly allowance used, whichever is higher (0–1+); null when unlimited.</summary>
    public double? HighestShare =>
        new[] { Share(RepliesToday, RepliesPerDay), Share(RepliesThisMonth, RepliesPerMonth) }.Where(s => s is not null).Max();

    private static double? Share(int used, int? allowance) => allowance is > 0 ? (double)used / allowance.Value : null;
}

/// <summary>
/// The reads every billing screen, API and rule share: what a tenant is entitled to now (<see cref="Entitlement"/>) and
/// its usage. Always read fresh from the database (a payment restores the bot at once, on every node).
/// </summary>
public sealed class BillingReads(IOptionsMonitor<BillingOptions> options, TimeProvider clock)
{
    /// <summary>The tenant's entitlement, read in <paramref name="db"/>'s context (tenant or platform).</summary>
    public async Task<Entitlement> EntitlementAsync(AppDbContext db, Guid tenantId, CancellationToken ct)
    {
        var tenant = await db.Tenants.AsNoTracking().SingleAsync(t => t.Id == tenantId, ct);
        var subscription = await db.Subscriptions.AsNoTracking().SingleOrDefaultAsync(s => s.TenantId == tenantId, ct);
        return Evaluate(tenant, subscription);
    }

    public Entitlement Evaluate(Tenant tenant, Subscription? subscription) =>
        Entitlement.Evaluate(tenant, subscription, clock.GetUtcNow(), options.CurrentValue.GraceDays);

    /// <summary>The current prepaid-credit balance: the sum of the ledger's rows.</summary>
    public static async Task<int> CreditBalanceAsync(AppDbContext db, Guid tenantId, CancellationToken ct) =>
        await db.CreditEntries.Where(e => e.TenantId == tenantId).SumAsync(e => (int?)e.Replies, ct) ?? 0;

    /// <summary>Start of the tenant's current day and month, as instants (UTC).</summary>
    public static (DateTimeOffset DayStart, DateTimeOffset MonthStart) PeriodStarts(string timeZone, DateTimeOffset now)
    {
        var zone = TimeZoneInfo.TryFindSystemTimeZoneById(timeZone, out var z) ? z : TimeZoneInfo.Utc;
        var local = TimeZoneInfo.ConvertTime(now, zone);
        // As UTC instants: PostgreSQL's timestamptz parameters take offset 0 only.
        DateTimeOffset At(DateTime wall) => new DateTimeOffset(wall, zone.GetUtcOffset(wall)).ToUniversalTime();
        return (At(local.Date), At(new DateTime(local.Year, local.Month, 1)));
    }

    public async Task<UsageSummary> UsageAsync(AppDbContext db, Guid tenantId, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var tenant = await db.Tenants.AsNoTracking().SingleAsync(t => t.Id == tenantId, ct);
        var limits = PlanCatalog.For(tenant.Plan);
        var (dayStart, monthStart) = PeriodStarts(tenant.TimeZone, now);
        var since = new[] { monthStart, dayStart.AddDays(-29) }.Min();
        var zone = TimeZoneInfo.TryFindSystemTimeZoneById(tenant.TimeZone, out var z) ? z : TimeZoneInfo.Utc;

        var replies = await db.AiReplyUsage.AsNoTracking().Where(u => u.TenantId == tenantId && u.OccurredAt >= since)
            .Select(u => u.OccurredAt).ToListAsync(ct);
        var tokens = await db.TokenUsage.AsNoTracking().Where(u => u.TenantId == tenantId && u.CreatedAt >= since)
            .Select(u => new { u.CreatedAt, Tokens = u.InputTokens + u.OutputTokens, u.EstimatedCost }).ToListAsync(ct);
        var balance = await CreditBalanceAsync(db, tenantId, ct);

        DateOnly Day(DateTimeOffset at) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(at, zone).DateTime);
        var today = Day(now);
        var days = Enumerable.Range(0, 30).Select(i => today.AddDays(i - 29)).Select(d => new DailyUsage(d,
            replies.Count(r => Day(r) == d),
            tokens.Where(t => Day(t.CreatedAt) == d).Sum(t => t.Tokens),
            tokens.Where(t => Day(t.CreatedAt) == d).Sum(t => t.EstimatedCost))).ToList();
        return new UsageSummary(
            replies.Count(r => r >= dayStart),
            replies.Count(r => r >= monthStart),
            tokens.Where(t => t.CreatedAt >= monthStart).Sum(t => t.Tokens),
            tokens.Where(t => t.CreatedAt >= monthStart).Sum(t => t.EstimatedCost),
            balance,
            limits.RepliesPerDay,
            limits.RepliesPerMonth,
            days);
    }
}
