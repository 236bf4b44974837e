using Microsoft.EntityFrameworkCore;
using OperatorConsole.Domain.Billing;
using OperatorConsole.Domain.Tenants;
using OperatorConsole.Infrastructure.Agent;
using OperatorConsole.Infrastructure.Billing;
using OperatorConsole.Infrastructure.Data;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Billing;

/// <summary>
/// Every agent turn checks the tenant's reply allowance before it calls the model. That count read every AI reply of
/// the month, so a busy workspace paid more per turn as the month went on, and an unlimited plan (the busiest) paid it
/// for nothing. Each count now stops at the allowance: exact below it, "used up" at it, never read without one. The
/// test seeds its own tenant with replies and runs the turn's statistics query under EXPLAIN ANALYZE.
/// </summary>
public class AllowanceCountPlanTests : IAsyncLifetime
{
    private const int Seeded = 400;
    private readonly NodeAppFactory _app = new(null, new Dictionary<string, string?> { ["Webhooks:Workers"] = "0", ["Agent:Workers"] = "0" });

    public Task InitializeAsync() => _app.InitializeAsync();

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task An_unlimited_plan_never_reads_its_replies_to_check_an_allowance_it_does_not_have()
    {
        var tenant = await TenantWithRepliesAsync(Plan.Enterprise);

        var (stats, usageScans) = await RunStatsAsync(tenant, PlanCatalog.For(Plan.Enterprise));

        Assert.Equal((0, 0), (stats.RepliesToday, stats.RepliesMonth));
        Assert.NotEmpty(usageScans);
        Assert.All(usageScans, scan => Assert.Equal(0, scan.Loops));
    }

    [Fact]
    public async Task A_limited_plan_counts_exactly_below_its_allowance_and_reads_no_further_than_it()
    {
        var tenant = await TenantWithRepliesAsync(Plan.Starter);
        var limits = PlanCatalog.For(Plan.Starter);
        Assert.True(limits.RepliesPerDay < Seeded && limits.RepliesPerMonth > Seeded, "the test needs a day allowance below the seeded replies and a month one above");

        var (stats, usageScans) = await RunStatsAsync(tenant, limits);

        // The day's allowance is used up (the turn hands over to a human); the month's count is exact.
        Assert.Equal((limits.RepliesPerDay!.Value, Seeded), (stats.RepliesToday, stats.RepliesMonth));
        Assert.Equal($"daily allowance of {limits.RepliesPerDay} AI replies used", TurnPreparer.AllowanceUsed(limits, stats.RepliesToday, stats.RepliesMonth));
        Assert.Contains(usageScans, scan => scan.Rows == limits.RepliesPerDay);
        Assert.All(usageScans, scan => Assert.True(scan.Rows <= Seeded, $"a scan read {scan.Rows} rows"));

        // The committer's authoritative count stops at the allowance the same way, and refuses the reply the same way.
        await using var work = _app.Scopes.ForTenant(tenant);
        var allowance = await ReplyAllowance.DecideAsync(work.Db, tenant, DateTimeOffset.UtcNow, CancellationToken.None);
        Assert.Equal((limits.RepliesPerDay!.Value, Seeded), (allowance.Today, allowance.Month));
        Assert.Null(allowance.Funding);
    }

    private async Task<Guid> TenantWithRepliesAsync(Plan plan)
    {
        var tenant = (await _app.TenantAsync()).Id;
        await _app.SetPlanAsync(tenant, plan);
        await _app.SeedRepliesAsync(tenant, Seeded);
        return tenant;
    }

    private sealed record Scan(long Rows, long Loops);

    /// <summary>The turn's statistics for a conversation of the tenant, and what each read of ai_reply_usage did.</summary>
    private async Task<(TurnPreparer.TurnStats Stats, List<Scan> UsageScans)> RunStatsAsync(Guid tenant, PlanLimits limits)
    {
        var now = DateTimeOffset.UtcNow;
        var (dayStart, monthStart) = BillingReads.PeriodStarts("UTC", now);
        var (dayCap, monthCap) = limits.ReplyCountCaps;
        var sql = SqlText.With(TurnPreparer.TurnStatsSql, Guid.NewGuid(), Guid.NewGuid(), now.AddMinutes(-1), now.AddHours(-1), 60,
            tenant, dayStart, monthStart, dayCap, monthCap);
        await using var work = _app.Scopes.ForTenant(tenant);
        var stats = (await work.Db.Database.SqlQuery<TurnPreparer.TurnStats>(sql).ToListAsync()).Single();

        var scans = (await QueryPlans.NodesAsync(work.Db, work.Db.Database.SqlQuery<TurnPreparer.TurnStats>(sql), analyze: true))
            .Where(node => node.TryGetProperty("Relation Name", out var relation) && relation.GetString() == "ai_reply_usage")
            .Select(node => new Scan(node.GetProperty("Actual Rows").GetInt64(), node.GetProperty("Actual Loops").GetInt64())).ToList();
        return (stats, scans);
    }
}
