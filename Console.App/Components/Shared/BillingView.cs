using OperatorConsole.Domain.Billing;
using OperatorConsole.Infrastructure.Billing;

namespace OperatorConsole.App.Components.Shared;

/// <summary>Where a tenant stands against its AI-reply allowance (what the banner and the billing page say).</summary>
public enum UsageLimit { None, Near, DayReached, MonthReached }

/// <summary>
/// What billing screens derive from <see cref="BillingReads"/>: the allowance state (the bot stops at 100 % with no
/// credits left; owners are warned from 80 %) and the words for a status. The rule of whether the bot serves stays
/// <see cref="Entitlement"/>'s; this only reads its result and the meters.
/// </summary>
public static class BillingView
{
    public const double NearShare = 0.8;

    public static UsageLimit Limit(UsageSummary usage)
    {
        if (usage.CreditBalance <= 0)
        {
            if (usage.RepliesPerMonth is { } month && usage.RepliesThisMonth >= month) return UsageLimit.MonthReached;
            if (usage.RepliesPerDay is { } day && usage.RepliesToday >= day) return UsageLimit.DayReached;
        }
        return usage.HighestShare >= NearShare ? UsageLimit.Near : UsageLimit.None;
    }

    /// <summary>"past_due" → "PastDue" key part, etc.: the status's resource key.</summary>
    public static string StatusKey(BillingStatus status) => $"Billing.Status.{status}";

    /// <summary>True when a paid subscription is running (plan changes happen in place, not through a new Checkout).</summary>
    public static bool Live(Subscription? subscription) =>
        subscription?.StripeSubscriptionId is not null
        && subscription.Status is SubscriptionStatus.Active or SubscriptionStatus.Trialing or SubscriptionStatus.PastDue;
}
