using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OperatorConsole.Domain.Billing;
using OperatorConsole.Domain.Common;
using OperatorConsole.Domain.Platform;
using OperatorConsole.Domain.Tenants;
using OperatorConsole.Infrastructure.Data;
using OperatorConsole.Infrastructure.Options;
using Subscription = OperatorConsole.Domain.Billing.Subscription;

namespace OperatorConsole.Infrastructure.Billing;

/// <summary>
/// Stripe's subscription, as fetched from Stripe, written onto the tenant's <see cref="Subscription"/> row: the one place
/// where a Stripe subscription changes what a tenant has. The plan follows the subscription's price (the reverse of
/// <c>Stripe:Prices</c>); an unknown price keeps the plan and leaves a warning for the platform.
/// </summary>
public sealed class SubscriptionSync(IOptionsMonitor<StripeOptions> stripe, TimeProvider clock, ILogger<SubscriptionSync> log)
{
    /// <summary>The plan a Stripe price id sells, per <c>Stripe:Prices:{Plan}</c>; null for a price we do not know.</summary>
    public Plan? PlanForPrice(string? priceId)
    {
        if (string.IsNullOrWhiteSpace(priceId)) return null;
        foreach (var (name, id) in stripe.CurrentValue.Prices)
            if (string.Equals(id, priceId, StringComparison.Ordinal) && Enum.TryParse<Plan>(name, ignoreCase: true, out var plan)) return plan;
        return null;
    }

    /// <summary>The configured Stripe price of a self-serve plan, or null when <c>Stripe:Prices:{Plan}</c> is not set.</summary>
    public string? PriceFor(Plan plan) =>
        stripe.CurrentValue.Prices.FirstOrDefault(p => string.Equals(p.Key, plan.ToString(), StringComparison.OrdinalIgnoreCase)).Value is { Length: > 0 } id
            ? id
            : null;

    public static SubscriptionStatus? ParseStatus(string? status) => status switch
    {
        "trialing" => SubscriptionStatus.Trialing,
        "active" => SubscriptionStatus.Active,
        "past_due" => SubscriptionStatus.PastDue,
        "unpaid" => SubscriptionStatus.Unpaid,
        "canceled" => SubscriptionStatus.Canceled,
        "incomplete" => SubscriptionStatus.Incomplete,
        "incomplete_expired" => SubscriptionStatus.IncompleteExpired,
        "paused" => SubscriptionStatus.Paused,
        _ => null,
    };

    private static bool Live(SubscriptionStatus? status) =>
        status is SubscriptionStatus.Active or SubscriptionStatus.Trialing or SubscriptionStatus.PastDue or SubscriptionStatus.Unpaid
            or SubscriptionStatus.Incomplete or SubscriptionStatus.Paused;

    /// <summary>
    /// The tenant's subscription row, locked for this transaction (two deliveries for one tenant apply one after the
    /// other), made when missing.
    /// </summary>
    public static async Task<Subscription> LockAsync(AppDbContext db, Guid tenantId, DateTimeOffset now, CancellationToken ct)
    {
        var rows = await db.Subscriptions.FromSql($"SELECT * FROM subscriptions WHERE tenant_id = {tenantId} FOR UPDATE").ToListAsync(ct);
        if (rows.SingleOrDefault() is { } row) return row;
        await db.Database.ExecuteSqlAsync(
            $"INSERT INTO subscriptions (tenant_id, cancel_at_period_end, updated_at) VALUES ({tenantId}, false, {now}) ON CONFLICT DO NOTHING", ct);
        rows = await db.Subscriptions.FromSql($"SELECT * FROM subscriptions WHERE tenant_id = {tenantId} FOR UPDATE").ToListAsync(ct);
        return rows.Single();
    }

    /// <summary>
    /// Applies <paramref name="fetched"/> (read from Stripe at <paramref name="asOf"/>) to the tenant, inside the caller's
    /// transaction; false when nothing changed (an older state than the one held, or a dead subscription that is not the
    /// tenant's current one). Changes are saved by the caller.
    /// </summary>
    public async Task<bool> ApplyAsync(AppDbContext db, Guid tenantId, Stripe.Subscription fetched, DateTimeOffset asOf, string actor,
        CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var row = await LockAsync(db, tenantId, now, ct);
        var status = ParseStatus(fetched.Status);
        if (status is null)
        {
            log.LogWarning("Stripe subscription {SubscriptionId} has an unknown status {Status}", fetched.Id, fetched.Status);
            return false;
        }
        // A second, dead subscription (an old one canceled, an abandoned first payment) never replaces the live one.
        if (row.StripeSubscriptionId is { } held && held != fetched.Id && Live(row.Status) && !Live(status)) return false;
        if (row.StripeCustomerId is null && !string.IsNullOrEmpty(fetched.CustomerId)) row.SetCustomer(fetched.CustomerId, now);

        var item = fetched.Items?.Data?.FirstOrDefault();
        var priceId = item?.Price?.Id;
        DateTimeOffset? periodEnd = item is { CurrentPeriodEnd: var end } && end > DateTime.UnixEpoch
            ? new DateTimeOffset(DateTime.SpecifyKind(end, DateTimeKind.Utc))
            : null;
        var wasStatus = row.Status;
        if (!row.Apply(fetched.Id, status.Value, priceId, periodEnd, fetched.CancelAtPeriodEnd, asOf, now)) return false;

        var tenant = await db.Tenants.SingleAsync(t => t.Id == tenantId, ct);
        if (wasStatus != status)
            db.AuditEntries.Add(AuditEntry.Create(tenantId, null, actor, "billing.subscription_status", "Subscription", fetched.Id,
                $"{wasStatus?.ToString() ?? "none"} → {status}", now));
        var plan = PlanForPrice(priceId);
        if (plan is null)
        {
            if (priceId is not null)
                db.SystemEvents.Add(SystemEvent.Create(Severity.Warning, "billing",
                    new TextRef("SystemEvent.BillingUnknownPrice",
                        $"Subscription {fetched.Id} of {tenant.Name} uses the Stripe price {priceId}, which no Stripe:Prices entry names; the plan stays {tenant.Plan}",
                        fetched.Id, tenant.Name, priceId, tenant.Plan.ToString()),
                    tenantId, null, now));
        }
        else if (plan != tenant.Plan)
        {
            var before = tenant.Plan;
            tenant.ChangePlan(plan.Value);
            db.AuditEntries.Add(AuditEntry.Change(tenantId, null, actor, "billing.plan_changed", "Tenant", tenantId.ToString(),
                $$"""{"plan":"{{before}}"}""", $$"""{"plan":"{{plan}}"}""", now, $"Stripe subscription {fetched.Id}, price {priceId}"));
            db.SystemEvents.Add(SystemEvent.Create(Severity.Info, "billing",
                new TextRef("SystemEvent.BillingPlanChanged", $"{tenant.Name} moved from {before} to {plan}", tenant.Name, before.ToString(),
                    plan.Value.ToString()),
                tenantId, $"Stripe subscription {fetched.Id}", now));
        }
        return true;
    }
}
