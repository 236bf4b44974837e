using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OperatorConsole.Domain.Common;
using OperatorConsole.Domain.Platform;
using OperatorConsole.Infrastructure.Data;
using OperatorConsole.Infrastructure.Tenancy;
using Quartz;

namespace OperatorConsole.Infrastructure.Platform;

/// <summary>A period of whole UTC days, <paramref name="From"/> to <paramref name="To"/> inclusive.</summary>
public sealed record SpendPeriod(DateOnly From, DateOnly To)
{
    public DateTimeOffset Start => new(From.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
    public DateTimeOffset End => new(To.AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);

    /// <summary>For file names: 2026-11-01_2026-11-30.</summary>
    public string Label => $"{From:yyyy-MM-dd}_{To:yyyy-MM-dd}";

    public static SpendPeriod LastDays(DateTimeOffset now, int days)
    {
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        return new(today.AddDays(1 - days), today);
    }
}

/// <summary>Token usage rows as the reports read them; <c>Day</c> is the UTC calendar day (columns in the model's snake_case).</summary>
public sealed class SpendRow
{
    public Guid TenantId { get; init; }
    public string Provider { get; init; } = "";
    public string Model { get; init; } = "";
    public string Feature { get; init; } = "";
    public long InputTokens { get; init; }
    public long OutputTokens { get; init; }
    public decimal Cost { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateOnly Day { get; init; }
}

/// <summary>One group's totals (a tenant, a provider/model pair or a feature).</summary>
public sealed record SpendLine(string Key, string Label, long InputTokens, long OutputTokens, decimal Cost, int Calls)
{
    public long Tokens => InputTokens + OutputTokens;
}

public sealed record DailySpend(DateOnly Day, string Series, decimal Cost);

/// <summary>One line of the export: a tenant, provider, model and feature on one UTC day.</summary>
public sealed record SpendExportLine(DateOnly Day, Guid TenantId, string Tenant, string Provider, string Model, string Feature,
    long InputTokens, long OutputTokens, decimal Cost, int Calls);

public sealed record SpendReport(SpendPeriod Period, decimal TotalCost, long TotalTokens, int Calls, IReadOnlyList<SpendLine> ByTenant,
    IReadOnlyList<SpendLine> ByProvider, IReadOnlyList<SpendLine> ByModel, IReadOnlyList<SpendLine> ByFeature, IReadOnlyList<DailySpend> DailyByFeature,
    IReadOnlyList<DailySpend> DailyByModel, IReadOnlySet<Guid> AlertedToday);

/// <summary>
/// The platform's AI spend from <c>token_usage</c>, summed in PostgreSQL (GROUP BY), never row by row in memory: by tenant,
/// provider, model and feature over a period, per day for the charts, and line by line for the CSV export.
/// </summary>
public sealed class TokenSpend(ContextScopes scopes, TimeProvider clock)
{
    public const string AlertSource = "spend";

    /// <summary>The rows of <c>token_usage</c> with their UTC day, composable with LINQ (filters and GROUP BY run in SQL).</summary>
    public static IQueryable<SpendRow> Rows(AppDbContext db) => db.Database.SqlQuery<SpendRow>($"""
        SELECT tenant_id, provider, model, feature, input_tokens, output_tokens, estimated_cost AS cost, created_at,
               (created_at AT TIME ZONE 'UTC')::date AS day
        FROM token_usage
        """);

    private static IQueryable<SpendRow> In(AppDbContext db, SpendPeriod period, Guid? tenantId)
    {
        var (start, end) = (period.Start, period.End);
        var rows = Rows(db).Where(r => r.CreatedAt >= start && r.CreatedAt < end);
        return tenantId is { } t ? rows.Where(r => r.TenantId == t) : rows;
    }

    public async Task<SpendReport> ReportAsync(Guid superAdminId, string actor, SpendPeriod period, Guid? tenantId = null, CancellationToken ct = default)
    {
        await using var work = await scopes.ForSuperAdminAsync(superAdminId, actor, $"command center: token usage {period.Label}", ct);
        var db = work.Db;
        var byTenantRaw = await In(db, period, tenantId).GroupBy(r => r.TenantId)
            .Select(g => new { g.Key, In = g.Sum(r => r.InputTokens), Out = g.Sum(r => r.OutputTokens), Cost = g.Sum(r => r.Cost), Calls = g.Count() })
            .OrderByDescending(g => g.Cost).ToListAsync(ct);
        var ids = byTenantRaw.Select(r => r.Key).ToList();
        var names = await db.Tenants.AsNoTracking().Where(t => ids.Contains(t.Id)).ToDictionaryAsync(t => t.Id, t => t.Name, ct);
        var byTenant = byTenantRaw.Select(r => new SpendLine(r.Key.ToString(), names.GetValueOrDefault(r.Key, r.Key.ToString()), r.In, r.Out, r.Cost, r.Calls)).ToList();

        var byProvider = (await In(db, period, tenantId).GroupBy(r => r.Provider)
            .Select(g => new { g.Key, In = g.Sum(r => r.InputTokens), Out = g.Sum(r => r.OutputTokens), Cost = g.Sum(r => r.Cost), Calls = g.Count() })
            .OrderByDescending(g => g.Cost).ToListAsync(ct)).Select(r => new SpendLine(r.Key, r.Key, r.In, r.Out, r.Cost, r.Calls)).ToList();
        var byModel = (await In(db, period, tenantId).GroupBy(r => new { r.Provider, r.Model })
            .Select(g => new { g.Key.Provider, g.Key.Model, In = g.Sum(r => r.InputTokens), Out = g.Sum(r => r.OutputTokens), Cost = g.Sum(r => r.Cost), Calls = g.Count() })
            .OrderByDescending(g => g.Cost).ToListAsync(ct)).Select(r => new SpendLine(r.Model, $"{r.Provider} · {r.Model}", r.In, r.Out, r.Cost, r.Calls)).ToList();
        var byFeature = (await In(db, period, tenantId).GroupBy(r => r.Feature)
            .Select(g => new { g.Key, In = g.Sum(r => r.InputTokens), Out = g.Sum(r => r.OutputTokens), Cost = g.Sum(r => r.Cost), Calls = g.Count() })
            .OrderByDescending(g => g.Cost).ToListAsync(ct)).Select(r => new SpendLine(r.Key, r.Key, r.In, r.Out, r.Cost, r.Calls)).ToList();
        var dailyByFeature = (await In(db, period, tenantId).GroupBy(r => new { r.Day, r.Feature })
            .Select(g => new { g.Key.Day, g.Key.Feature, Cost = g.Sum(r => r.Cost) }).ToListAsync(ct))
            .Select(r => new DailySpend(r.Day, r.Feature, r.Cost)).ToList();
        var dailyByModel = (await In(db, period, tenantId).GroupBy(r => new { r.Day, r.Model })
            .Select(g => new { g.Key.Day, g.Key.Model, Cost = g.Sum(r => r.Cost) }).ToListAsync(ct))
            .Select(r => new DailySpend(r.Day, r.Model, r.Cost)).ToList();

        var todayStart = new DateTimeOffset(clock.GetUtcNow().UtcDateTime.Date, TimeSpan.Zero);
        var alerted = (await db.SystemEvents.AsNoTracking()
            .Where(e => e.Source == AlertSource && e.CreatedAt >= todayStart && e.TenantId != null)
            .Select(e => e.TenantId!.Value).Distinct().ToListAsync(ct)).ToHashSet();

        return new SpendReport(period, byTenant.Sum(r => r.Cost), byTenant.Sum(r => r.Tokens), byTenant.Sum(r => r.Calls), byTenant, byProvider,
            byModel, byFeature, dailyByFeature, dailyByModel, alerted);
    }

    /// <summary>The export's lines (day × tenant × provider × model × feature), grouped in SQL, in a stable order.</summary>
    public async Task<IReadOnlyList<SpendExportLine>> ExportAsync(Guid superAdminId, string actor, SpendPeriod period, Guid? tenantId = null,
        CancellationToken ct = default)
    {
        await using var work = await scopes.ForSuperAdminAsync(superAdminId, actor, $"command center: token usage export {period.Label}", ct);
        var db = work.Db;
        var lines = await In(db, period, tenantId).GroupBy(r => new { r.Day, r.TenantId, r.Provider, r.Model, r.Feature })
            .Select(g => new
            {
                g.Key.Day, g.Key.TenantId, g.Key.Provider, g.Key.Model, g.Key.Feature,
                In = g.Sum(r => r.InputTokens), Out = g.Sum(r => r.OutputTokens), Cost = g.Sum(r => r.Cost), Calls = g.Count(),
            })
            .OrderBy(g => g.Day).ThenBy(g => g.TenantId).ThenBy(g => g.Provider).ThenBy(g => g.Model).ThenBy(g => g.Feature)
            .ToListAsync(ct);
        var ids = lines.Select(l => l.TenantId).Distinct().ToList();
        var names = await db.Tenants.AsNoTracking().Where(t => ids.Contains(t.Id)).ToDictionaryAsync(t => t.Id, t => t.Name, ct);
        return lines.Select(l => new SpendExportLine(l.Day, l.TenantId, names.GetValueOrDefault(l.TenantId, ""), l.Provider, l.Model, l.Feature,
            l.In, l.Out, l.Cost, l.Calls)).ToList();
    }
}

/// <summary>
/// Raises a Warning system event when a tenant's AI spend today (UTC) is above <see cref="SpendAlertOptions.Factor"/> times
/// its average day over the 7 days before and above <see cref="SpendAlertOptions.MinUsd"/>: once per tenant per day.
/// </summary>
public sealed class SpendAlerts(ContextScopes scopes, SystemEventWriter events, IOptionsMonitor<CommandCenterOptions> options, TimeProvider clock,
    ILogger<SpendAlerts> log)
{
    public async Task<int> CheckAsync(CancellationToken ct = default)
    {
        var o = options.CurrentValue.SpendAlert;
        var now = clock.GetUtcNow();
        var todayStart = new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero);
        var weekStart = todayStart.AddDays(-7);
        List<(Guid TenantId, string Name, decimal Today, decimal Average)> jumps;
        await using (var work = scopes.ForSystem("spend alerts"))
        {
            var db = work.Db;
            var totals = await TokenSpend.Rows(db).Where(r => r.CreatedAt >= weekStart && r.CreatedAt < todayStart.AddDays(1))
                .GroupBy(r => r.TenantId)
                .Select(g => new
                {
                    TenantId = g.Key,
                    Today = g.Where(r => r.CreatedAt >= todayStart).Sum(r => r.Cost),
                    Week = g.Where(r => r.CreatedAt < todayStart).Sum(r => r.Cost),
                })
                .Where(g => g.Today > o.MinUsd)
                .ToListAsync(ct);
            var already = await db.SystemEvents.AsNoTracking()
                .Where(e => e.Source == TokenSpend.AlertSource && e.CreatedAt >= todayStart && e.TenantId != null)
                .Select(e => e.TenantId!.Value).ToListAsync(ct);
            var candidates = totals.Where(t => !already.Contains(t.TenantId) && t.Today > (decimal)o.Factor * (t.Week / 7m)).ToList();
            var ids = candidates.Select(c => c.TenantId).ToList();
            var names = await db.Tenants.AsNoTracking().Where(t => ids.Contains(t.Id)).ToDictionaryAsync(t => t.Id, t => t.Slug, ct);
            jumps = candidates.Select(c => (c.TenantId, names.GetValueOrDefault(c.TenantId, c.TenantId.ToString()), c.Today, c.Week / 7m)).ToList();
        }
        foreach (var (tenantId, name, today, average) in jumps)
        {
            var (t, a) = (today.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture), average.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture));
            await events.WriteAsync(Severity.Warning, TokenSpend.AlertSource,
                new TextRef("SystemEvent.SpendJump", $"AI spend of '{name}' today is USD {t}, against USD {a} on an average day of the last week", name, t, a),
                tenantId, $$"""{"todayUsd":{{t}},"averageUsd":{{a}},"factor":{{o.Factor.ToString(System.Globalization.CultureInfo.InvariantCulture)}}}""", ct);
        }
        if (jumps.Count > 0) log.LogWarning("Spend alerts raised for {Count} tenant(s)", jumps.Count);
        return jumps.Count;
    }
}

/// <summary>Quartz job, every few minutes on one node: the spend alerts (each tenant at most once a day).</summary>
[DisallowConcurrentExecution]
public sealed class SpendAlertJob(SpendAlerts alerts) : IJob
{
    public const string Name = "spend-alerts";

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken ct) => await alerts.CheckAsync(ct);
}
