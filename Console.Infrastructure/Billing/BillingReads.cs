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

        // Counted per day of the tenant's calendar in the database: a busy month is tens of thousands of rows, and this
        // runs for the billing page and every page's banner.
        var zoneName = zone == TimeZoneInfo.Utc ? "UTC" : tenant.TimeZone;
        var replies = (await db.Database.SqlQuery<DayFigure>($"""
                SELECT (occurred_at AT TIME ZONE {zoneName})::date AS day, count(*)::bigint AS count, 0::bigint AS tokens, 0::numeric AS cost
                FROM ai_reply_usage WHERE tenant_id = {tenantId} AND occurred_at >= {since}
                GROUP BY 1
                """).ToListAsync(ct)).ToDictionary(r => r.Day);
        var tokens = (await db.Database.SqlQuery<DayFigure>($"""
                SELECT (created_at AT TIME ZONE {zoneName})::date AS day, count(*)::bigint AS count,
                       coalesce(sum(input_tokens + output_tokens), 0)::bigint AS tokens, coalesce(sum(estimated_cost), 0)::numeric AS cost
                FROM token_usage WHERE tenant_id = {tenantId} AND created_at >= {since}
                GROUP BY 1
                """).ToListAsync(ct)).ToDictionary(r => r.Day);
        var balance = await CreditBalanceAsync(db, tenantId, ct);

        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, zone).DateTime);
        var monthFirst = new DateOnly(today.Year, today.Month, 1);
        var days = Enumerable.Range(0, 30).Select(i => today.AddDays(i - 29)).Select(d => new DailyUsage(d,
            (int)(replies.GetValueOrDefault(d)?.Count ?? 0),
            tokens.GetValueOrDefault(d)?.Tokens ?? 0,
            tokens.GetValueOrDefault(d)?.Cost ?? 0)).ToList();
        return new UsageSummary(
            (int)(replies.GetValueOrDefault(today)?.Count ?? 0),
            (int)replies.Values.Where(r => r.Day >= monthFirst).Sum(r => r.Count),
            tokens.Values.Where(t => t.Day >= monthFirst).Sum(t => t.Tokens),
            tokens.Values.Where(t => t.Day >= monthFirst).Sum(t => t.Cost),
            balance,
            limits.RepliesPerDay,
            limits.RepliesPerMonth,
            days);
    }
}

/// <summary>One calendar day of usage as the database adds it up.</summary>
internal sealed record DayFigure(DateOnly Day, long Count, long Tokens, decimal Cost);
