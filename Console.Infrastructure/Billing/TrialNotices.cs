using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using OperatorConsole.Domain.Billing;
using OperatorConsole.Domain.Common;
using OperatorConsole.Domain.Platform;
using OperatorConsole.Domain.Tenants;
using OperatorConsole.Infrastructure.Tenancy;
using Quartz;

namespace OperatorConsole.Infrastructure.Billing;

/// <summary>
/// Tells the owners of a self-signup workspace about its trial: a reminder <see cref="ReminderBefore"/> before the end,
/// then that it ended (with a system event), each once per trial end (a <see cref="BillingNotice"/> row, committed before
/// the mail). Stopping the bot is not done here: <see cref="Entitlement.Evaluate"/> stops it by time.
/// </summary>
public sealed class TrialNotices(ContextScopes scopes, BillingMail mail, TimeProvider clock, ILogger<TrialNotices> log)
{
    public static readonly TimeSpan ReminderBefore = TimeSpan.FromDays(2);

    /// <summary>Notices further back than this are not sent any more (a node down for a month does not mail stale news).</summary>
    private static readonly TimeSpan GiveUpAfter = TimeSpan.FromDays(14);

    private const int Batch = 200;

    /// <summary>Sends what is due now; returns how many notices it sent.</summary>
    public async Task<int> RunAsync(CancellationToken ct = default)
    {
        var now = clock.GetUtcNow();
        List<(Guid Id, string Name, DateTimeOffset EndsAt)> due;
        await using (var work = scopes.ForSystem("trial notices"))
        {
            var db = work.Db;
            var soon = now + ReminderBefore;
            var oldest = now - GiveUpAfter;
            // A paid subscription (whatever its state now) means the trial is no longer what decides: its events speak.
            due = (await db.Tenants.AsNoTracking()
                    .Where(t => t.TrialEndsAt != null && t.TrialEndsAt <= soon && t.TrialEndsAt > oldest && t.Status == TenantStatus.Active
                                && !db.Subscriptions.Any(s => s.TenantId == t.Id && s.Status != null && s.Status != SubscriptionStatus.Incomplete
                                                              && s.Status != SubscriptionStatus.IncompleteExpired)
                                && !db.BillingNotices.Any(n => n.TenantId == t.Id && n.Kind == (t.TrialEndsAt <= now ? BillingMail.TrialEnded : BillingMail.TrialReminder)))
                    .OrderBy(t => t.TrialEndsAt).Take(Batch).Select(t => new { t.Id, t.Name, EndsAt = t.TrialEndsAt!.Value }).ToListAsync(ct))
                .Select(t => (t.Id, t.Name, t.EndsAt)).ToList();
        }

        var sent = 0;
        foreach (var (tenantId, name, endsAt) in due)
        {
            var ended = endsAt <= now;
            var kind = ended ? BillingMail.TrialEnded : BillingMail.TrialReminder;
            await using (var work = scopes.ForSystem("trial notice"))
            {
                await using var tx = await work.Db.Database.BeginTransactionAsync(ct);
                if (!await PlatformStripeWebhook.NoticeOnceAsync(work.Db, tenantId, kind, endsAt.ToUnixTimeSeconds().ToString(), now, ct)) continue;
                if (ended)
                    work.Db.SystemEvents.Add(SystemEvent.Create(Severity.Info, "billing",
                        new TextRef("SystemEvent.BillingTrialEnded", $"The trial of {name} ended without a plan: the bot stopped answering", name),
                        tenantId, null, now));
                await work.Db.SaveChangesAsync(ct);
                await tx.CommitAsync(ct);
            }
            if (ended) await mail.TrialEndedAsync(tenantId, ct);
            else await mail.TrialEndingAsync(tenantId, endsAt, ct);
            sent++;
            log.LogInformation("Trial notice {Kind} sent for tenant {TenantId} (trial ends {EndsAt})", kind, tenantId, endsAt);
        }
        return sent;
    }
}

/// <summary>Quartz job, every <see cref="Scheduling.SchedulerOptions.SweepSeconds"/> on one node of the cluster: due trial notices.</summary>
[DisallowConcurrentExecution]
public sealed class TrialNoticeJob(TrialNotices notices) : IJob
{
    public const string Name = "billing-trial-notices";

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken ct) => await notices.RunAsync(ct);
}
