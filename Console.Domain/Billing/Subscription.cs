using OperatorConsole.Domain.Common;
using OperatorConsole.Domain.Tenants;

namespace OperatorConsole.Domain.Billing;

/// <summary>Stripe's subscription statuses, as Stripe names them (snake_case on the wire).</summary>
public enum SubscriptionStatus { Trialing, Active, PastDue, Unpaid, Canceled, Incomplete, IncompleteExpired, Paused }

/// <summary>
/// A tenant's platform subscription as Stripe last described it. One row per tenant, made when the tenant first goes
/// to Checkout. <see cref="StateAsOf"/> is the Stripe time of the state we hold, so an older event never overwrites a
/// newer state; <see cref="PastDueSince"/> starts the grace period.
/// </summary>
public sealed class Subscription : ITenantOwned
{
    private Subscription() { }

    public Guid TenantId { get; private set; }
    public string? StripeCustomerId { get; private set; }
    public string? StripeSubscriptionId { get; private set; }
    public SubscriptionStatus? Status { get; private set; }
    public string? PriceId { get; private set; }
    public DateTimeOffset? CurrentPeriodEnd { get; private set; }
    public bool CancelAtPeriodEnd { get; private set; }
    public DateTimeOffset? PastDueSince { get; private set; }
    public DateTimeOffset? StateAsOf { get; private set; }
    public DateTimeOffset UpdatedAt { get; private set; }

    public static Subscription Create(Guid tenantId, DateTimeOffset now) => new() { TenantId = tenantId, UpdatedAt = now };

    public void SetCustomer(string customerId, DateTimeOffset now)
    {
        if (string.IsNullOrWhiteSpace(customerId)) throw new DomainException("billing.customer", "A Stripe customer id is required.");
        StripeCustomerId = customerId;
        UpdatedAt = now;
    }

    /// <summary>
    /// Takes Stripe's state of the subscription as of <paramref name="asOf"/>; false (nothing changed) when the state we
    /// hold is newer. Entering past_due starts the grace clock once; leaving it stops it.
    /// </summary>
    public bool Apply(string subscriptionId, SubscriptionStatus status, string? priceId, DateTimeOffset? currentPeriodEnd,
        bool cancelAtPeriodEnd, DateTimeOffset asOf, DateTimeOffset now)
    {
        if (StateAsOf is { } held && asOf < held) return false;
        StripeSubscriptionId = subscriptionId;
        if (status == SubscriptionStatus.PastDue) PastDueSince ??= asOf;
        else PastDueSince = null;
        Status = status;
        PriceId = priceId;
        CurrentPeriodEnd = currentPeriodEnd;
        CancelAtPeriodEnd = cancelAtPeriodEnd;
        StateAsOf = asOf;
        UpdatedAt = now;
        return true;
    }
}

/// <summary>Whether the bot serves the tenant's customers: fully, in a grace period (with a banner), or not at all.</summary>
public enum ServiceLevel { Full, Grace, Stopped }

/// <summary>Why the bot stopped for a tenant (owners see it with how to fix it).</summary>
public enum StopReason { TrialEnded, PaymentOverdue, Canceled, Suspended }

/// <summary>The status shown to owners and the REST API (snake_case): Stripe's, plus trial_ended for a trial not converted.</summary>
public enum BillingStatus { Trialing, Active, PastDue, Unpaid, Canceled, TrialEnded }

/// <summary>What the tenant may do now: its plan's limits and whether the bot serves at all.</summary>
public sealed record Entitlement(Plan Plan, PlanLimits Limits, BillingStatus Status, ServiceLevel Service, StopReason? Stopped,
    DateTimeOffset? TrialEndsAt, DateTimeOffset? GraceEndsAt)
{
    /// <summary>
    /// The rules in one place. Without a paid subscription, a trial runs to its end and then stops; a workspace the
    /// platform made without a trial is served (Enterprise, comped). With one: active/trialing serve; past_due serves
    /// for <paramref name="graceDays"/> from when it became past due, then stops; unpaid, canceled, incomplete_expired
    /// and paused stop. A suspended tenant is stopped whatever it pays.
    /// </summary>
    public static Entitlement Evaluate(Tenant tenant, Subscription? subscription, DateTimeOffset now, int graceDays)
    {
        var limits = PlanCatalog.For(tenant.Plan);
        Entitlement Make(BillingStatus status, ServiceLevel level, StopReason? reason, DateTimeOffset? graceEnds = null) =>
            tenant.Status == TenantStatus.Suspended
                ? new(tenant.Plan, limits, status, ServiceLevel.Stopped, StopReason.Suspended, tenant.TrialEndsAt, graceEnds)
                : new(tenant.Plan, limits, status, level, reason, tenant.TrialEndsAt, graceEnds);

        switch (subscription?.Status)
        {
            case SubscriptionStatus.Active:
                return Make(BillingStatus.Active, ServiceLevel.Full, null);
            case SubscriptionStatus.Trialing:
                return Make(BillingStatus.Trialing, ServiceLevel.Full, null);
            case SubscriptionStatus.PastDue:
            {
                var graceEnds = (subscription.PastDueSince ?? now).AddDays(graceDays);
                return now < graceEnds
                    ? Make(BillingStatus.PastDue, ServiceLevel.Grace, null, graceEnds)
                    : Make(BillingStatus.PastDue, ServiceLevel.Stopped, StopReason.PaymentOverdue, graceEnds);
            }
            case SubscriptionStatus.Unpaid:
                return Make(BillingStatus.Unpaid, ServiceLevel.Stopped, StopReason.PaymentOverdue);
            case SubscriptionStatus.Canceled or SubscriptionStatus.IncompleteExpired or SubscriptionStatus.Paused:
                return Make(BillingStatus.Canceled, ServiceLevel.Stopped, StopReason.Canceled);
            default:
                // No subscription yet (or its first payment still incomplete): the trial decides.
                if (tenant.TrialEndsAt is not { } trialEnd) return Make(BillingStatus.Active, ServiceLevel.Full, null);
                return now < trialEnd
                    ? Make(BillingStatus.Trialing, ServiceLevel.Full, null)
                    : Make(BillingStatus.TrialEnded, ServiceLevel.Stopped, StopReason.TrialEnded);
        }
    }
}
