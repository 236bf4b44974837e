using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using OperatorConsole.Domain.Billing;
using OperatorConsole.Domain.Common;
using OperatorConsole.Domain.Platform;
using OperatorConsole.Domain.Tenants;
using OperatorConsole.Infrastructure.Data;
using OperatorConsole.Infrastructure.Email;
using OperatorConsole.Infrastructure.Platform;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.Infrastructure.Billing;

/// <summary>
/// What pays for the AI reply a turn is about to commit: the plan's allowance, a prepaid credit, nothing needed
/// (unlimited), or nothing at all (<see cref="Funding"/> null: the reply is dropped and people answer). The counts are
/// the ones seen before this reply, under the tenant's lock.
/// </summary>
public sealed record ReplyAllowance(
    PlanLimits Limits,
    ReplyFunding? Funding,
    string? Exhausted,
    int Today,
    int Month,
    int CreditBalance,
    string Culture,
    DateTimeOffset DayStart,
    DateTimeOffset MonthStart,
    string Day,
    string MonthKey)
{
    private sealed record Counts(int Today, int Month, int Balance);

    /// <summary>
    /// Decides in the turn's commit transaction. Limited plans serialize the tenant's commits with a transaction-scoped
    /// advisory lock first, so two nodes cannot both take the last reply of an allowance or the last credit; an
    /// unlimited plan takes no lock.
    /// </summary>
    public static async Task<ReplyAllowance> DecideAsync(AppDbContext db, Guid tenantId, DateTimeOffset now, CancellationToken ct)
    {
        var tenant = await db.Tenants.AsNoTracking().Where(t => t.Id == tenantId)
            .Select(t => new { t.Plan, t.TimeZone, t.DefaultCulture }).SingleAsync(ct);
        var limits = PlanCatalog.For(tenant.Plan);
        var (dayStart, monthStart) = BillingReads.PeriodStarts(tenant.TimeZone, now);
        var zone = TimeZoneInfo.TryFindSystemTimeZoneById(tenant.TimeZone, out var z) ? z : TimeZoneInfo.Utc;
        var local = TimeZoneInfo.ConvertTime(now, zone);
        var day = local.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var month = local.ToString("yyyy-MM", CultureInfo.InvariantCulture);
        if (limits.UnlimitedReplies)
            return new(limits, ReplyFunding.Unlimited, null, 0, 0, 0, tenant.DefaultCulture, dayStart, monthStart, day, month);

        // Each count stops at its allowance: below it the figure is exact (the warnings need it), at it "used up" is all
        // that matters, and a commit never reads more of the month's replies than the plan allows.
        var (dayCap, monthCap) = limits.ReplyCountCaps;
        async Task<Counts> CountAsync() => (await db.Database.SqlQuery<Counts>($"""
            SELECT (SELECT count(*)::int FROM (SELECT FROM ai_reply_usage u WHERE u.tenant_id = {tenantId} AND u.occurred_at >= {dayStart} LIMIT {dayCap}) d) AS today,
                   (SELECT count(*)::int FROM (SELECT FROM ai_reply_usage u WHERE u.tenant_id = {tenantId} AND u.occurred_at >= {monthStart} LIMIT {monthCap}) m) AS month,
                   (SELECT coalesce(sum(e.replies), 0)::int FROM credit_entries e WHERE e.tenant_id = {tenantId}) AS balance
            """).ToListAsync(ct)).Single();

        // Far from both allowances, no lock: the commits that could be in flight beside this one (at most
        // UnlockedMargin of them) cannot reach the limit, so a burst commits in parallel. Near it, the commits take turns.
        var counts = await CountAsync();
        if (!Near(limits.RepliesPerDay, counts.Today) && !Near(limits.RepliesPerMonth, counts.Month))
            return new(limits, ReplyFunding.Plan, null, counts.Today, counts.Month, counts.Balance, tenant.DefaultCulture, dayStart, monthStart, day, month);

        await LockAsync(db, tenantId, ct);
        // A separate statement after the lock: under READ COMMITTED it sees every commit made before the lock was ours.
        counts = await CountAsync();
        var exhausted = Agent.TurnPreparer.AllowanceUsed(limits, counts.Today, counts.Month);
        ReplyFunding? funding = exhausted is null ? ReplyFunding.Plan : counts.Balance > 0 ? ReplyFunding.Credit : null;
        return new(limits, funding, exhausted, counts.Today, counts.Month, counts.Balance, tenant.DefaultCulture, dayStart, monthStart, day, month);
    }

    /// <summary>
    /// How many replies short of an allowance the count becomes exact (under the tenant's lock). It must exceed the turns
    /// of one tenant that can commit at the same moment across all nodes (Agent:Workers × nodes: 32 × 8 by default).
    /// </summary>
    public const int UnlockedMargin = 256;

    private static bool Near(int? allowance, int used) => allowance is { } a && used + UnlockedMargin >= a;

    /// <summary>The lock every movement of a tenant's AI-reply allowance and credits takes (commits, expiry, refunds).</summary>
    public static Task LockAsync(AppDbContext db, Guid tenantId, CancellationToken ct) =>
        db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock(hashtextextended({"billing.replies:" + tenantId}, 0))", ct);
}

/// <summary>
/// The owners' warnings about AI-reply allowances: at 80 % of the day's or the month's allowance an e-mail and a system
/// event, and when the allowance is used with no credits left an e-mail saying the bot is paused until when and how to
/// buy credits or upgrade. Each is sent once per period (<see cref="BillingNotice"/>'s unique key), after the turn's
/// commit, and a failure here never fails the turn.
/// </summary>
public sealed class UsageNotices(ContextScopes scopes, EmailOutbox email, SystemEventWriter systemEvents, PublicLinks links,
    TimeProvider clock, ILogger<UsageNotices> log)
{
    public const string Day80 = "usage80.day";
    public const string Month80 = "usage80.month";
    public const string DayLimit = "usage100.day";
    public const string MonthLimit = "usage100.month";

    /// <summary>After a committed turn: <paramref name="answered"/> false means it was refused for the allowance.</summary>
    public async Task AfterReplyAsync(Guid tenantId, ReplyAllowance a, bool answered, CancellationToken ct)
    {
        try
        {
            foreach (var (kind, period, allowance, used) in Due(a, answered))
                await NotifyAsync(tenantId, kind, period, allowance, used, a, ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            log.LogWarning(ex, "Usage warning for tenant {TenantId} could not be sent", tenantId);
        }
    }

    /// <summary>The notices this reply makes due: the one that crosses a threshold (or any refused reply) asks once.</summary>
    private static IEnumerable<(string Kind, string Period, int Allowance, int Used)> Due(ReplyAllowance a, bool answered)
    {
        if (a.Funding == ReplyFunding.Unlimited) yield break;
        if (!answered)
        {
            if (a.Limits.RepliesPerDay is { } d && a.Today >= d) yield return (DayLimit, a.Day, d, a.Today);
            else if (a.Limits.RepliesPerMonth is { } m) yield return (MonthLimit, a.MonthKey, m, a.Month);
            yield break;
        }
        if (a.Funding != ReplyFunding.Plan) yield break;
        var (today, month) = (a.Today + 1, a.Month + 1);
        if (a.Limits.RepliesPerDay is { } perDay)
        {
            var at80 = (int)Math.Ceiling(perDay * 0.8);
            if (a.Today < at80 && today >= at80) yield return (Day80, a.Day, perDay, today);
            if (today == perDay && a.CreditBalance <= 0) yield return (DayLimit, a.Day, perDay, today);
        }
        if (a.Limits.RepliesPerMonth is { } perMonth)
        {
            var at80 = (int)Math.Ceiling(perMonth * 0.8);
            if (a.Month < at80 && month >= at80) yield return (Month80, a.MonthKey, perMonth, month);
            if (month == perMonth && a.CreditBalance <= 0) yield return (MonthLimit, a.MonthKey, perMonth, month);
        }
    }

    private async Task NotifyAsync(Guid tenantId, string kind, string period, int allowance, int used, ReplyAllowance a, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        List<string> owners;
        await using (var work = scopes.ForTenant(tenantId))
        {
            var inserted = await work.Db.Database.ExecuteSqlAsync($"""
                INSERT INTO billing_notices (tenant_id, kind, period, sent_at) VALUES ({tenantId}, {kind}, {period}, {now})
                ON CONFLICT DO NOTHING
                """, ct);
            if (inserted == 0) return; // sent already this period
            owners = await BillingMail.OwnerEmailsAsync(work.Db, tenantId, ct);
        }

        var daily = kind is Day80 or DayLimit;
        var limitHit = kind is DayLimit or MonthLimit;
        var until = daily ? a.DayStart.AddDays(1) : a.MonthStart.AddMonths(1);
        var spanish = a.Culture.StartsWith("es", StringComparison.OrdinalIgnoreCase);
        var billing = links.To("billing");
        var n = allowance.ToString("N0", CultureInfo.GetCultureInfo(spanish ? "es" : "en"));
        var untilText = until.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);
        var (subject, body) = (limitHit, spanish, daily) switch
        {
            (false, true, _) => ($"Has usado el 80 % de tus respuestas de IA {(daily ? "de hoy" : "del mes")}",
                $"<p>Tu espacio de trabajo usó {used} de {n} respuestas de IA {(daily ? "de hoy" : "de este mes")}.</p>" +
                $"<p>Al llegar al límite, el bot deja de responder y las conversaciones pasan a tu equipo. Compra créditos o mejora tu plan: <a href=\"{billing}\">{WebUtility.HtmlEncode(billing)}</a></p>"),
            (false, false, _) => ($"You have used 80% of {(daily ? "today's" : "this month's")} AI replies",
                $"<p>Your workspace used {used} of {n} AI replies {(daily ? "today" : "this month")}.</p>" +
                $"<p>At the limit the bot stops answering and conversations go to your team. Buy credits or upgrade your plan: <a href=\"{billing}\">{WebUtility.HtmlEncode(billing)}</a></p>"),
            (true, true, _) => ("El bot está en pausa: se alcanzó el límite de respuestas de IA",
                $"<p>Tu espacio de trabajo usó las {n} respuestas de IA {(daily ? "de hoy" : "de este mes")} de su plan y no le quedan créditos.</p>" +
                $"<p>El bot queda en pausa hasta el {untilText}; mientras tanto, cada mensaje nuevo pasa a tu equipo con el motivo «límite del plan».</p>" +
                $"<p>Para reanudarlo ya, compra créditos o mejora tu plan: <a href=\"{billing}\">{WebUtility.HtmlEncode(billing)}</a></p>"),
            (true, false, _) => ("The bot is paused: AI reply limit reached",
                $"<p>Your workspace used its plan's {n} AI replies {(daily ? "for today" : "for this month")} and has no credits left.</p>" +
                $"<p>The bot is paused until {untilText}; meanwhile every new message goes to your team with the reason \"plan limit\".</p>" +
                $"<p>To resume it now, buy credits or upgrade your plan: <a href=\"{billing}\">{WebUtility.HtmlEncode(billing)}</a></p>"),
        };
        foreach (var owner in owners) await email.SendAsync(owner, subject, body, ct);

        var key = (limitHit, daily) switch
        {
            (false, true) => "SystemEvent.UsageDay80",
            (false, false) => "SystemEvent.UsageMonth80",
            (true, true) => "SystemEvent.UsageDayLimit",
            (true, false) => "SystemEvent.UsageMonthLimit",
        };
        var english = limitHit
            ? $"AI reply allowance used ({used} of {allowance}) and no credits: the bot is paused until {untilText}"
            : $"80% of the AI reply allowance used ({used} of {allowance})";
        await systemEvents.WriteAsync(limitHit ? Severity.Warning : Severity.Info, "billing." + kind,
            new TextRef(key, english, used.ToString(CultureInfo.InvariantCulture), allowance.ToString(CultureInfo.InvariantCulture), untilText),
            tenantId, JsonSerializer.Serialize(new { kind, period, used, allowance }), ct);
    }
}
