using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.Infrastructure.Webhooks;

/// <summary>An active subscription as the event recorder needs it: which events it wants.</summary>
public sealed record ActiveSubscription(Guid Id, IReadOnlySet<string> Events);

/// <summary>
/// Which tenants have active subscriptions, held in memory so recording an event costs a tenant without webhooks one
/// dictionary lookup and no query. Reloaded at once after a change on this node, and every
/// OutboundWebhooks:SubscriptionRefreshSeconds for changes made on other nodes.
/// </summary>
public sealed class OutboundWebhookSubscriptions(ContextScopes scopes, IOptions<OutboundWebhookOptions> options,
    ILogger<OutboundWebhookSubscriptions> log) : BackgroundService
{
    private volatile IReadOnlyDictionary<Guid, ActiveSubscription[]> _byTenant = new Dictionary<Guid, ActiveSubscription[]>();
    private readonly SemaphoreSlim _loading = new(1, 1);

    public IReadOnlyList<ActiveSubscription> For(Guid tenantId) =>
        _byTenant.TryGetValue(tenantId, out var subscriptions) ? subscriptions : [];

    public bool Any => _byTenant.Count > 0;

    /// <summary>Re-reads the subscriptions (after a change: the change is seen by the next event).</summary>
    public async Task ReloadAsync(CancellationToken ct = default)
    {
        await _loading.WaitAsync(ct);
        try
        {
            await using var work = scopes.ForSystem("outbound webhooks: active subscriptions");
            // Outbound webhooks are a plan feature: a workspace downgraded below it keeps its webhooks but they receive
            // nothing until it upgrades again (the next reload after the plan change).
            var plans = Domain.Billing.PlanCatalog.All.Where(l => l.Has(Domain.Billing.PlanFeature.OutboundWebhooks)).Select(l => l.Plan).ToList();
            var rows = await (from w in work.Db.OutboundWebhooks.AsNoTracking()
                              join t in work.Db.Tenants on w.TenantId equals t.Id
                              where w.Active && plans.Contains(t.Plan)
                              select new { w.TenantId, w.Id, w.Events }).ToListAsync(ct);
            _byTenant = rows.GroupBy(r => r.TenantId).ToDictionary(g => g.Key,
                g => g.Select(r => new ActiveSubscription(r.Id, r.Events.ToHashSet())).ToArray());
        }
        finally
        {
            _loading.Release();
        }
    }

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // Loaded before the app takes requests: an event recorded before the first load would miss its subscriptions.
        try
        {
            await ReloadAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            log.LogWarning(ex, "Outbound webhook subscriptions could not be loaded at start; retrying in the background");
        }
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.SubscriptionRefreshSeconds));
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                await ReloadAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                log.LogWarning(ex, "Outbound webhook subscriptions could not be reloaded");
            }
        }
    }
}
