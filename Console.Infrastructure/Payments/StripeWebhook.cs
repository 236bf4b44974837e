using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Infrastructure.Security;
using OperatorConsole.Infrastructure.Tenancy;
using Stripe;
using PaymentLink = OperatorConsole.Domain.Agent.PaymentLink;
using Stripe.Checkout;

namespace OperatorConsole.Infrastructure.Payments;

public enum StripeWebhookResult { Applied, Duplicate, Ignored, BadSignature }

/// <summary>
/// A tenant's own Stripe events (<c>POST /webhooks/stripe/{tenantSlug}</c>). The signature is checked with that tenant's
/// webhook secret and the payment is looked up inside that tenant only, so one tenant's secret can never move another's
/// payment. Each event id is applied once: its receipt is inserted in the same transaction as its effects.
/// </summary>
public sealed class StripeWebhook(ContextScopes scopes, SecretProtector secrets, PaymentCommands payments, TimeProvider clock, ILogger<StripeWebhook> log)
{
    public async Task<StripeWebhookResult> HandleAsync(string tenantSlug, string json, string signatureHeader, CancellationToken ct)
    {
        Guid? tenantId;
        await using (var routing = scopes.ForSystem("stripe webhook routing"))
            tenantId = await routing.Db.Tenants.Where(t => t.Slug == tenantSlug).Select(t => (Guid?)t.Id).SingleOrDefaultAsync(ct);
        // An unknown slug answers like a bad signature: nothing tells a prober which tenants exist.
        if (tenantId is null) return StripeWebhookResult.BadSignature;

        await using var work = scopes.ForTenant(tenantId.Value);
        var db = work.Db;
        var settings = await db.PaymentSettings.AsNoTracking().SingleOrDefaultAsync(ct);
        if (settings?.ProtectedStripeWebhookSecret is null) return StripeWebhookResult.BadSignature;
        var stripeEvent = StripeGateway.Verify(json, signatureHeader, secrets.Unprotect(settings.ProtectedStripeWebhookSecret));
        if (stripeEvent is null) return StripeWebhookResult.BadSignature;

        var now = clock.GetUtcNow();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        // The receipt and the effects commit together: a redelivery finds the receipt and changes nothing, and a crash
        // half-way leaves neither, so Stripe's retry applies the event then.
        var inserted = await db.Database.ExecuteSqlAsync(
            $"INSERT INTO stripe_events (tenant_id, event_id, type, received_at) VALUES ({tenantId.Value}, {stripeEvent.Id}, {stripeEvent.Type}, {now}) ON CONFLICT DO NOTHING",
            ct);
        if (inserted == 0) return StripeWebhookResult.Duplicate;

        var applied = await ApplyAsync(db, stripeEvent, now, ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        log.LogInformation("Stripe event {EventId} ({Type}) for tenant {TenantId}: {Outcome}", stripeEvent.Id, stripeEvent.Type, tenantId,
            applied ? "applied" : "ignored");
        return applied ? StripeWebhookResult.Applied : StripeWebhookResult.Ignored;
    }

    private async Task<bool> ApplyAsync(Data.AppDbContext db, Event stripeEvent, DateTimeOffset now, CancellationToken ct)
    {
        switch (stripeEvent.Data.Object)
        {
            case Session session:
            {
                var payment = await FindAsync(db, session.Metadata, ct);
                if (payment is null) return false;
                return stripeEvent.Type switch
                {
                    // A completed session with a delayed method (OXXO, transfers) is not paid yet: its async_payment_* event decides.
                    "checkout.session.completed" when session.PaymentStatus is "paid" or "no_payment_required" =>
                        await PaidAsync(db, payment, session.AmountTotal, session.Currency, now, ct),
                    "checkout.session.async_payment_succeeded" => await PaidAsync(db, payment, session.AmountTotal, session.Currency, now, ct),
                    "checkout.session.expired" => await payments.ApplyUnpaidAsync(db, payment, PaymentLinkStatus.Expired, now, ct),
                    "checkout.session.async_payment_failed" => await payments.ApplyUnpaidAsync(db, payment, PaymentLinkStatus.Failed, now, ct),
                    _ => false,
                };
            }
            case PaymentIntent intent:
            {
                var payment = await FindAsync(db, intent.Metadata, ct);
                if (payment is null) return false;
                return stripeEvent.Type switch
                {
                    "payment_intent.succeeded" => await PaidAsync(db, payment, intent.AmountReceived, intent.Currency, now, ct),
                    "payment_intent.payment_failed" => await payments.ApplyUnpaidAsync(db, payment, PaymentLinkStatus.Failed, now, ct),
                    _ => false,
                };
            }
            default:
                return false;
        }
    }

    /// <summary>Amount and currency as Stripe charged them, not as we asked.</summary>
    private Task<bool> PaidAsync(Data.AppDbContext db, PaymentLink payment, long? minorAmount, string? currency, DateTimeOffset now, CancellationToken ct)
    {
        var code = string.IsNullOrWhiteSpace(currency) ? payment.Currency : currency.ToUpperInvariant();
        var amount = minorAmount is { } m and > 0 ? StripeGateway.FromMinorUnits(m, code) : payment.Amount;
        return payments.ApplyPaidAsync(db, payment, amount, code, by: null, now, ct);
    }

    private static async Task<PaymentLink?> FindAsync(Data.AppDbContext db, IDictionary<string, string>? metadata, CancellationToken ct) =>
        metadata is not null && metadata.TryGetValue("payment_id", out var raw) && Guid.TryParse(raw, out var id)
            ? await db.PaymentLinks.SingleOrDefaultAsync(p => p.Id == id, ct) // tenant-scoped: another tenant's id finds nothing
            : null;
}
