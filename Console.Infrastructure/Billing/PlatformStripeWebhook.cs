using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OperatorConsole.Domain.Billing;
using OperatorConsole.Infrastructure.Data;
using OperatorConsole.Infrastructure.Options;
using OperatorConsole.Infrastructure.Payments;
using OperatorConsole.Infrastructure.Tenancy;
using Stripe;
using Stripe.Checkout;

namespace OperatorConsole.Infrastructure.Billing;

public enum PlatformStripeWebhookResult { Applied, Duplicate, Ignored, BadSignature, Unavailable }

/// <summary>
/// The platform's Stripe events (<c>POST /webhooks/stripe</c>), signed with <c>Stripe:WebhookSecret</c>. Each event id
/// is applied once: its receipt in <c>platform_stripe_events</c> commits with its effects. Stripe retries for days and
/// delivers out of order, so an event's copy of a subscription is never trusted: the subscription is fetched from Stripe
/// and applied with the time it was read, and an older reading never overwrites a newer one.
/// </summary>
public sealed class PlatformStripeWebhook(IOptionsMonitor<StripeOptions> options, ContextScopes scopes, PlatformBilling billing,
    SubscriptionSync sync, BillingMail mail, TimeProvider clock, ILogger<PlatformStripeWebhook> log)
{
    private const string Actor = "stripe";

    /// <summary>What an event will do once its receipt is in: the tenant it is about and Stripe's current subscription.</summary>
    private sealed record Prepared(Guid? TenantId, Stripe.Subscription? Fetched, DateTimeOffset AsOf);

    public async Task<PlatformStripeWebhookResult> HandleAsync(string json, string signatureHeader, CancellationToken ct)
    {
        var secret = options.CurrentValue.WebhookSecret;
        if (string.IsNullOrWhiteSpace(secret)) return PlatformStripeWebhookResult.BadSignature;
        var stripeEvent = StripeGateway.Verify(json, signatureHeader, secret);
        if (stripeEvent is null) return PlatformStripeWebhookResult.BadSignature;

        await using var work = scopes.ForSystem("platform stripe webhook");
        var db = work.Db;
        if (await db.PlatformStripeEvents.AnyAsync(e => e.EventId == stripeEvent.Id, ct)) return PlatformStripeWebhookResult.Duplicate;

        Prepared plan;
        try
        {
            plan = await PrepareAsync(db, stripeEvent, ct);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException { CancellationToken.IsCancellationRequested: false }
                                       || ex is StripeException { HttpStatusCode: var code } && ((int)code >= 500 || (int)code == 429))
        {
            log.LogWarning(ex, "Stripe could not be reached for event {EventId} ({Type}); Stripe will retry", stripeEvent.Id, stripeEvent.Type);
            return PlatformStripeWebhookResult.Unavailable;
        }

        var now = clock.GetUtcNow();
        var mails = new List<Func<Task>>();
        await using (var tx = await db.Database.BeginTransactionAsync(ct))
        {
            // The receipt and the effects commit together: a redelivery finds the receipt and changes nothing, and a
            // crash half-way leaves neither, so Stripe's retry applies the event then.
            var inserted = await db.Database.ExecuteSqlAsync(
                $"INSERT INTO platform_stripe_events (event_id, type, tenant_id, received_at) VALUES ({stripeEvent.Id}, {stripeEvent.Type}, {plan.TenantId}, {now}) ON CONFLICT DO NOTHING",
                ct);
            if (inserted == 0) return PlatformStripeWebhookResult.Duplicate;
            var applied = plan.TenantId is { } tenantId && await ApplyAsync(db, stripeEvent, tenantId, plan, mails, now, ct);
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
            log.LogInformation("Platform Stripe event {EventId} ({Type}) for tenant {TenantId}: {Outcome}", stripeEvent.Id, stripeEvent.Type,
                plan.TenantId, applied ? "applied" : "ignored");
            // Mail after commit: its send-once notice row committed with the event.
            foreach (var send in mails) await send();
            return applied ? PlatformStripeWebhookResult.Applied : PlatformStripeWebhookResult.Ignored;
        }
    }

    /// <summary>Finds the tenant and, for anything about a subscription, reads the subscription from Stripe now.</summary>
    private async Task<Prepared> PrepareAsync(AppDbContext db, Event stripeEvent, CancellationToken ct)
    {
        string? subscriptionId = null;
        Guid? tenantId = null;
        switch (stripeEvent.Data.Object)
        {
            case Session session:
                tenantId = await TenantAsync(db, session.Metadata, session.ClientReferenceId, session.CustomerId, session.SubscriptionId, ct);
                if (session.Mode == "subscription") subscriptionId = session.SubscriptionId;
                break;
            case Stripe.Subscription subscription:
                tenantId = await TenantAsync(db, subscription.Metadata, null, subscription.CustomerId, subscription.Id, ct);
                subscriptionId = subscription.Id;
                break;
            case Invoice invoice:
                var details = invoice.Parent?.SubscriptionDetails;
                subscriptionId = details?.SubscriptionId;
                tenantId = await TenantAsync(db, details?.Metadata, null, invoice.CustomerId, subscriptionId, ct);
                break;
        }
        if (tenantId is null || string.IsNullOrEmpty(subscriptionId)) return new Prepared(tenantId, null, clock.GetUtcNow());
        try
        {
            var fetched = await billing.FetchSubscriptionAsync(subscriptionId, ct);
            return new Prepared(tenantId, fetched, clock.GetUtcNow());
        }
        catch (StripeException ex) when ((int)ex.HttpStatusCode == 404)
        {
            log.LogWarning("Stripe has no subscription {SubscriptionId} (event {EventId})", subscriptionId, stripeEvent.Id);
            return new Prepared(tenantId, null, clock.GetUtcNow());
        }
    }

    /// <summary>The tenant an event names (metadata, client_reference_id), else the one holding its customer or subscription.</summary>
    private static async Task<Guid?> TenantAsync(AppDbContext db, IDictionary<string, string>? metadata, string? clientReference, string? customerId,
        string? subscriptionId, CancellationToken ct)
    {
        foreach (var candidate in new[] { Meta(metadata, "tenant_id"), clientReference })
            if (Guid.TryParse(candidate, out var id) && await db.Tenants.AnyAsync(t => t.Id == id, ct)) return id;
        if (!string.IsNullOrEmpty(subscriptionId)
            && await db.Subscriptions.Where(s => s.StripeSubscriptionId == subscriptionId).Select(s => (Guid?)s.TenantId).SingleOrDefaultAsync(ct) is { } bySubscription)
            return bySubscription;
        if (!string.IsNullOrEmpty(customerId)
            && await db.Subscriptions.Where(s => s.StripeCustomerId == customerId).Select(s => (Guid?)s.TenantId).SingleOrDefaultAsync(ct) is { } byCustomer)
            return byCustomer;
        return null;
    }

    private async Task<bool> ApplyAsync(AppDbContext db, Event stripeEvent, Guid tenantId, Prepared plan, List<Func<Task>> mails, DateTimeOffset now,
        CancellationToken ct)
    {
        var changed = false;
        if (plan.Fetched is { } fetched) changed = await sync.ApplyAsync(db, tenantId, fetched, plan.AsOf, Actor, ct);

        switch (stripeEvent.Type, stripeEvent.Data.Object)
        {
            case ("checkout.session.completed" or "checkout.session.async_payment_succeeded", Session session):
                if (session.CustomerId is { Length: > 0 } customer)
                {
                    var row = await SubscriptionSync.LockAsync(db, tenantId, now, ct);
                    if (row.StripeCustomerId is null) row.SetCustomer(customer, now);
                }
                if (session.Mode == "payment" && Meta(session.Metadata, "kind") == "credits"
                    && session.PaymentStatus is "paid" or "no_payment_required")
                    changed |= await GrantCreditsAsync(db, tenantId, session, now, ct);
                break;
            case ("invoice.payment_failed", Invoice invoice):
                if (await NoticeOnceAsync(db, tenantId, BillingMail.PaymentFailed, invoice.Id, now, ct))
                {
                    mails.Add(() => mail.PaymentFailedAsync(tenantId, ct));
                    changed = true;
                }
                break;
            case ("customer.subscription.trial_will_end", Stripe.Subscription subscription):
                var period = subscription.TrialEnd is { } end ? $"{subscription.Id}:{new DateTimeOffset(DateTime.SpecifyKind(end, DateTimeKind.Utc)).ToUnixTimeSeconds()}" : subscription.Id;
                if (await NoticeOnceAsync(db, tenantId, BillingMail.StripeTrialEnding, period[..Math.Min(40, period.Length)], now, ct))
                {
                    var trialEnd = subscription.TrialEnd is { } e ? new DateTimeOffset(DateTime.SpecifyKind(e, DateTimeKind.Utc)) : (DateTimeOffset?)null;
                    mails.Add(() => mail.TrialEndingAsync(tenantId, trialEnd, ct));
                    changed = true;
                }
                break;
        }
        return changed;
    }

    private static string? Meta(IDictionary<string, string>? metadata, string key) =>
        metadata is not null && metadata.TryGetValue(key, out var value) ? value : null;

    /// <summary>A billing notice's send-once row; false when it was already sent (kind, period) for this tenant.</summary>
    internal static async Task<bool> NoticeOnceAsync(AppDbContext db, Guid tenantId, string kind, string period, DateTimeOffset now, CancellationToken ct) =>
        await db.Database.ExecuteSqlAsync(
            $"INSERT INTO billing_notices (tenant_id, kind, period, sent_at) VALUES ({tenantId}, {kind}, {period}, {now}) ON CONFLICT DO NOTHING",
            ct) == 1;

    /// <summary>
    /// A paid credit purchase: one ledger grant whose reference is the Checkout Session, so a resent event (or its
    /// async twin) cannot grant twice; what is left expires after the pack's validity.
    /// </summary>
    private async Task<bool> GrantCreditsAsync(AppDbContext db, Guid tenantId, Session session, DateTimeOffset now, CancellationToken ct)
    {
        var pack = CreditPack.Find(Meta(session.Metadata, "pack"));
        if (pack is null)
        {
            log.LogWarning("Credit purchase {SessionId} names an unknown pack {Pack}", session.Id, Meta(session.Metadata, "pack"));
            return false;
        }
        // The ledger's rule: every movement takes the tenant's billing lock (see CreditLedger), here inside the event's transaction.
        await ReplyAllowance.LockAsync(db, tenantId, ct);
        if (await db.CreditEntries.AnyAsync(e => e.TenantId == tenantId && e.Kind == CreditEntryKind.Grant && e.Reference == session.Id, ct)) return false;
        db.CreditEntries.Add(CreditEntry.Grant(tenantId, pack.Replies, session.Id, now.AddDays(pack.ValidDays), Actor,
            $"Pack {pack.Id} bought through Stripe Checkout", now));
        db.AuditEntries.Add(Domain.Platform.AuditEntry.Create(tenantId, null, Actor, "billing.credits_granted", "CreditEntry", session.Id,
            $"{pack.Replies} replies ({pack.Id})", now));
        return true;
    }
}
