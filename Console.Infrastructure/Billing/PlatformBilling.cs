using OperatorConsole.Domain.Tenants;

namespace OperatorConsole.Infrastructure.Billing;

/// <summary>What a billing action asks the browser to do: open Stripe (Checkout, the portal) or just show the change.</summary>
public sealed record BillingAction(Uri? RedirectTo, bool ChangedInPlace);

/// <summary>
/// The platform's own Stripe account (Stripe:SecretKey, every call against Stripe:ApiBase through Stripe.net): a
/// tenant's customer, its plan subscription, credit purchases and the customer portal. Refusals are
/// <see cref="Domain.Common.DomainException"/>s with a <c>billing.*</c> code (the UI shows <c>Error.{code}</c>).
/// </summary>
public sealed class PlatformBilling
{
    /// <summary>False when Stripe:SecretKey is not set: the billing page says so instead of offering Checkout.</summary>
    public bool Configured => throw new NotImplementedException("bill-stripe implements this");

    /// <summary>
    /// Moves the tenant to <paramref name="plan"/>: without a live subscription, a Checkout Session in subscription mode
    /// (the redirect); with one, the subscription's price is swapped in place (prorated) and Stripe's event confirms it.
    /// </summary>
    public Task<BillingAction> ChangePlanAsync(Guid tenantId, Plan plan, string actorEmail, CancellationToken ct) =>
        throw new NotImplementedException("bill-stripe implements this");

    /// <summary>A one-time Checkout Session for a pack of credits (<see cref="Domain.Billing.CreditPack"/>).</summary>
    public Task<BillingAction> BuyCreditsAsync(Guid tenantId, string packId, string actorEmail, CancellationToken ct) =>
        throw new NotImplementedException("bill-stripe implements this");

    /// <summary>The Stripe customer portal (payment method, invoices), returning to <paramref name="returnPath"/>.</summary>
    public Task<BillingAction> OpenPortalAsync(Guid tenantId, string returnPath, CancellationToken ct) =>
        throw new NotImplementedException("bill-stripe implements this");
}
