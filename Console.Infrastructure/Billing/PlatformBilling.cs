using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OperatorConsole.Domain.Billing;
using OperatorConsole.Domain.Common;
using OperatorConsole.Domain.Platform;
using OperatorConsole.Domain.Tenants;
using OperatorConsole.Infrastructure.Options;
using OperatorConsole.Infrastructure.Payments;
using OperatorConsole.Infrastructure.Platform;
using OperatorConsole.Infrastructure.Tenancy;
using Stripe;
using Plan = OperatorConsole.Domain.Tenants.Plan;

namespace OperatorConsole.Infrastructure.Billing;

/// <summary>What a billing action asks the browser to do: open Stripe (Checkout, the portal) or just show the change.</summary>
public sealed record BillingAction(Uri? RedirectTo, bool ChangedInPlace);

/// <summary>
/// The platform's own Stripe account (Stripe:SecretKey, every call against Stripe:ApiBase through Stripe.net): a
/// tenant's customer, its plan subscription, credit purchases and the customer portal. Refusals are
/// <see cref="Domain.Common.DomainException"/>s with a <c>billing.*</c> code (the UI shows <c>Error.{code}</c>).
/// </summary>
public sealed class PlatformBilling(IOptionsMonitor<StripeOptions> options, ContextScopes scopes, PublicLinks links, SubscriptionSync sync,
    TimeProvider clock, ILogger<PlatformBilling> log)
{
    /// <summary>Where Checkout sends the browser back: the billing page, which reads <c>?checkout=</c>.</summary>
    public const string ReturnPath = "billing";

    /// <summary>False when Stripe:SecretKey is not set: the billing page says so instead of offering Checkout.</summary>
    public bool Configured => !string.IsNullOrWhiteSpace(options.CurrentValue.SecretKey);

    private StripeClient Client()
    {
        var current = options.CurrentValue;
        if (string.IsNullOrWhiteSpace(current.SecretKey))
            throw new DomainException("billing.not_configured", "Billing is not set up on this platform yet (Stripe:SecretKey).");
        var apiBase = string.IsNullOrWhiteSpace(current.ApiBase) ? StripeGateway.DefaultApiBase : current.ApiBase.TrimEnd('/');
        return new StripeClient(current.SecretKey, apiBase: apiBase);
    }

    /// <summary>
    /// Moves the tenant to <paramref name="plan"/>: without a live subscription, a Checkout Session in subscription mode
    /// (the redirect); with one, the subscription's price is swapped in place (prorated) and Stripe's event confirms it.
    /// </summary>
    public async Task<BillingAction> ChangePlanAsync(Guid tenantId, Plan plan, string actorEmail, CancellationToken ct)
    {
        var client = Client();
        if (!PlanCatalog.SelfServe.Contains(plan))
            throw new DomainException("billing.plan_not_self_serve", $"The {plan} plan is arranged with the platform, not bought online.", plan.ToString());
        var price = sync.PriceFor(plan)
            ?? throw new DomainException("billing.not_configured", $"No Stripe price is configured for the {plan} plan (Stripe:Prices:{plan}).");

        var current = await SubscriptionAsync(tenantId, ct);
        if (current?.StripeSubscriptionId is { } subscriptionId && current.Status is not (null or SubscriptionStatus.Canceled
                or SubscriptionStatus.IncompleteExpired))
            return await SwapPriceAsync(client, tenantId, subscriptionId, price, plan, actorEmail, ct);

        var customer = await EnsureCustomerAsync(client, tenantId, actorEmail, ct);
        // Stripe may know a subscription our webhook has not brought yet (paid a moment ago in another tab): change that
        // one rather than sell a second.
        if (await LiveSubscriptionAtStripeAsync(client, customer, ct) is { } paidMeanwhile)
            return await SwapPriceAsync(client, tenantId, paidMeanwhile, price, plan, actorEmail, ct);
        // One open plan Checkout per customer: an older one (another tab, another owner) is expired so that two
        // completed Checkouts can never make two subscriptions.
        await ExpireOpenPlanCheckoutsAsync(client, customer, ct);
        var metadata = new Dictionary<string, string> { ["tenant_id"] = tenantId.ToString() };
        var session = await CallAsync(() => new Stripe.Checkout.SessionService(client).CreateAsync(new Stripe.Checkout.SessionCreateOptions
        {
            Mode = "subscription",
            Customer = customer,
            ClientReferenceId = tenantId.ToString(),
            Metadata = metadata,
            SubscriptionData = new Stripe.Checkout.SessionSubscriptionDataOptions { Metadata = new Dictionary<string, string>(metadata) },
            LineItems = [new Stripe.Checkout.SessionLineItemOptions { Price = price, Quantity = 1 }],
            SuccessUrl = Back("success"),
            CancelUrl = Back("cancel"),
        }, cancellationToken: ct));
        await AuditAsync(tenantId, actorEmail, "billing.checkout_started", session.Id, $"plan {plan}, price {price}", ct);
        return new BillingAction(new Uri(session.Url), false);
    }

    /// <summary>A one-time Checkout Session for a pack of credits (<see cref="Domain.Billing.CreditPack"/>).</summary>
    public async Task<BillingAction> BuyCreditsAsync(Guid tenantId, string packId, string actorEmail, CancellationToken ct)
    {
        var client = Client();
        var pack = CreditPack.Find(packId) ?? throw new DomainException("billing.pack_unknown", $"There is no credit pack '{packId}'.", packId ?? "");
        var customer = await EnsureCustomerAsync(client, tenantId, actorEmail, ct);
        var metadata = new Dictionary<string, string> { ["tenant_id"] = tenantId.ToString(), ["kind"] = "credits", ["pack"] = pack.Id };
        var session = await CallAsync(() => new Stripe.Checkout.SessionService(client).CreateAsync(new Stripe.Checkout.SessionCreateOptions
        {
            Mode = "payment",
            Customer = customer,
            ClientReferenceId = tenantId.ToString(),
            Metadata = metadata,
            PaymentIntentData = new Stripe.Checkout.SessionPaymentIntentDataOptions { Metadata = new Dictionary<string, string>(metadata) },
            LineItems =
            [
                new Stripe.Checkout.SessionLineItemOptions
                {
                    Quantity = 1,
                    PriceData = new Stripe.Checkout.SessionLineItemPriceDataOptions
                    {
                        Currency = "usd",
                        UnitAmount = StripeGateway.ToMinorUnits(pack.PriceUsd, "USD"),
                        ProductData = new Stripe.Checkout.SessionLineItemPriceDataProductDataOptions
                        {
                            Name = $"{pack.Replies:N0} AI replies",
                            Description = $"Prepaid AI replies, valid for {pack.ValidDays} days",
                        },
                    },
                },
            ],
            SuccessUrl = Back("credits"),
            CancelUrl = Back("cancel"),
        }, cancellationToken: ct));
        await AuditAsync(tenantId, actorEmail, "billing.credits_checkout_started", session.Id, $"pack {pack.Id}", ct);
        return new BillingAction(new Uri(session.Url), false);
    }

    /// <summary>The Stripe customer portal (payment method, invoices), returning to <paramref name="returnPath"/>.</summary>
    public async Task<BillingAction> OpenPortalAsync(Guid tenantId, string returnPath, CancellationToken ct)
    {
        var client = Client();
        var customer = await EnsureCustomerAsync(client, tenantId, null, ct);
        // Only a path of this app: the portal's way back is never an open redirect.
        var path = string.IsNullOrWhiteSpace(returnPath) || !returnPath.StartsWith('/') || returnPath.StartsWith("//") || returnPath.Contains('\\')
            ? ReturnPath
            : returnPath.TrimStart('/');
        var session = await CallAsync(() => new Stripe.BillingPortal.SessionService(client).CreateAsync(
            new Stripe.BillingPortal.SessionCreateOptions { Customer = customer, ReturnUrl = links.To(path) }, cancellationToken: ct));
        return new BillingAction(new Uri(session.Url), false);
    }

    /// <summary>The subscription as Stripe holds it now (the webhook re-fetches instead of trusting an event's copy).</summary>
    internal Task<Stripe.Subscription> FetchSubscriptionAsync(string subscriptionId, CancellationToken ct) =>
        new SubscriptionService(Client()).GetAsync(subscriptionId, cancellationToken: ct);

    private string Back(string result) => links.To(ReturnPath, new Dictionary<string, string?> { ["checkout"] = result });

    private async Task<Domain.Billing.Subscription?> SubscriptionAsync(Guid tenantId, CancellationToken ct)
    {
        await using var work = scopes.ForTenant(tenantId);
        return await work.Db.Subscriptions.AsNoTracking().SingleOrDefaultAsync(s => s.TenantId == tenantId, ct);
    }

    /// <summary>
    /// The tenant's Stripe customer, made once: the idempotency key is the tenant, so two clicks at once (or two nodes)
    /// get the same customer from Stripe, and the row keeps the first one stored.
    /// </summary>
    private async Task<string> EnsureCustomerAsync(StripeClient client, Guid tenantId, string? actorEmail, CancellationToken ct)
    {
        await using var work = scopes.ForTenant(tenantId);
        var db = work.Db;
        var known = await db.Subscriptions.AsNoTracking().Where(s => s.TenantId == tenantId).Select(s => s.StripeCustomerId).SingleOrDefaultAsync(ct);
        if (known is not null) return known;

        var tenant = await db.Tenants.AsNoTracking().SingleOrDefaultAsync(t => t.Id == tenantId, ct)
            ?? throw new DomainException("tenant.not_found", "This business does not exist.");
        var customer = await CallAsync(() => new CustomerService(client).CreateAsync(new CustomerCreateOptions
        {
            Name = tenant.Name,
            Email = string.IsNullOrWhiteSpace(actorEmail) || !actorEmail.Contains('@') ? null : actorEmail,
            Metadata = new Dictionary<string, string> { ["tenant_id"] = tenantId.ToString(), ["slug"] = tenant.Slug },
        }, new RequestOptions { IdempotencyKey = "platform-customer-" + tenantId.ToString("N") }, ct));

        var now = clock.GetUtcNow();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var row = await SubscriptionSync.LockAsync(db, tenantId, now, ct);
        if (row.StripeCustomerId is null) row.SetCustomer(customer.Id, now);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return row.StripeCustomerId!;
    }

    /// <summary>
    /// One subscription per tenant: a plan change swaps the price of its item (Stripe prorates) and the answer is applied
    /// at once, so the page shows the new plan; the subscription.updated event that follows changes nothing more.
    /// </summary>
    private async Task<string?> LiveSubscriptionAtStripeAsync(StripeClient client, string customer, CancellationToken ct)
    {
        var list = await CallAsync(() => new SubscriptionService(client).ListAsync(
            new SubscriptionListOptions { Customer = customer, Status = "all", Limit = 20 }, cancellationToken: ct));
        return list.Data.Where(s => s.Status is not ("canceled" or "incomplete_expired" or "incomplete"))
            .OrderByDescending(s => s.Created).Select(s => s.Id).FirstOrDefault();
    }

    private async Task ExpireOpenPlanCheckoutsAsync(StripeClient client, string customer, CancellationToken ct)
    {
        var sessions = new Stripe.Checkout.SessionService(client);
        var open = await CallAsync(() => sessions.ListAsync(
            new Stripe.Checkout.SessionListOptions { Customer = customer, Status = "open", Limit = 20 }, cancellationToken: ct));
        foreach (var session in open.Data.Where(s => s.Mode == "subscription"))
        {
            try
            {
                await sessions.ExpireAsync(session.Id, cancellationToken: ct);
            }
            catch (StripeException ex) when (ex.HttpStatusCode == System.Net.HttpStatusCode.BadRequest)
            {
                // Completed or expired between the list and now: the webhook (or nothing) follows; nothing to expire.
            }
        }
    }

    private async Task<BillingAction> SwapPriceAsync(StripeClient client, Guid tenantId, string subscriptionId, string price, Plan plan,
        string actorEmail, CancellationToken ct)
    {
        var service = new SubscriptionService(client);
        var existing = await CallAsync(() => service.GetAsync(subscriptionId, cancellationToken: ct));
        var item = existing.Items?.Data?.FirstOrDefault()
            ?? throw new DomainException("billing.stripe_error", $"Subscription {subscriptionId} has no item to change.", "subscription without items");
        var updated = item.Price?.Id == price
            ? existing
            : await CallAsync(() => service.UpdateAsync(subscriptionId, new SubscriptionUpdateOptions
            {
                Items = [new SubscriptionItemOptions { Id = item.Id, Price = price }],
                ProrationBehavior = "create_prorations",
                CancelAtPeriodEnd = existing.CancelAtPeriodEnd ? false : null,
            }, cancellationToken: ct));
        var asOf = clock.GetUtcNow();
        await using (var work = scopes.ForSystem("platform billing plan change"))
        {
            await using var tx = await work.Db.Database.BeginTransactionAsync(ct);
            await sync.ApplyAsync(work.Db, tenantId, updated, asOf, actorEmail, ct);
            work.Db.AuditEntries.Add(AuditEntry.Create(tenantId, null, actorEmail, "billing.plan_change_requested", "Subscription", subscriptionId,
                $"plan {plan}, price {price}", asOf));
            await work.Db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
        }
        return new BillingAction(null, true);
    }

    private async Task AuditAsync(Guid tenantId, string actor, string action, string entityId, string details, CancellationToken ct)
    {
        await using var work = scopes.ForTenant(tenantId);
        work.Db.AuditEntries.Add(AuditEntry.Create(tenantId, null, actor, action, "Billing", entityId, details, clock.GetUtcNow()));
        await work.Db.SaveChangesAsync(ct);
    }

    /// <summary>Stripe's refusal or an unreachable Stripe, as the rule the user sees (with Stripe's own words).</summary>
    private async Task<T> CallAsync<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (StripeException ex)
        {
            log.LogWarning(ex, "Stripe refused a platform billing call: {Message}", ex.StripeError?.Message ?? ex.Message);
            throw new DomainException("billing.stripe_error", $"Stripe refused: {ex.StripeError?.Message ?? ex.Message}", ex.StripeError?.Message ?? ex.Message);
        }
        catch (HttpRequestException ex)
        {
            log.LogWarning(ex, "Stripe could not be reached for a platform billing call");
            throw new DomainException("billing.stripe_error", $"Stripe could not be reached: {ex.Message}", ex.Message);
        }
    }
}
