using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Domain.Common;
using OperatorConsole.Domain.Contacts;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Domain.Revenue;
using OperatorConsole.Infrastructure.Channels.Outbound;
using OperatorConsole.Infrastructure.Data;
using OperatorConsole.Infrastructure.Options;
using OperatorConsole.Infrastructure.Pipeline;
using OperatorConsole.Infrastructure.Security;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.Infrastructure.Payments;

/// <summary>
/// Asking for money and recording that it came: the agent's <c>send_payment_link</c>, an operator's manual payment, a
/// Stripe event and an operator confirming a transfer all go through here, so a payment has one set of effects
/// (<see cref="ApplyPaidAsync"/>) whoever reports it.
/// </summary>
public sealed class PaymentCommands(ContextScopes scopes, StripeGateway stripe, SecretProtector secrets, OutboundMessages outbound,
    IOptionsMonitor<PlatformOptions> platform, TimeProvider clock, ILogger<PaymentCommands> log)
{
    public string PageUrl(Guid paymentId) => $"{platform.CurrentValue.PublicBaseUrl.TrimEnd('/')}/pay/{paymentId}";

    /// <summary>
    /// Records a pending payment for <paramref name="quantity"/> × the product (or <paramref name="customAmount"/>, which the
    /// caller has checked against the tenant's maximum) and, when the tenant's Stripe account is connected, its Checkout
    /// Session. Without Stripe, or when Stripe cannot be reached, the payment stays manual: /pay/{id} tells the customer
    /// how to transfer, and the conversation goes on.
    /// </summary>
    public async Task<PaymentLink> RequestAsync(Guid tenantId, Guid contactId, Guid? conversationId, Product product, int quantity,
        decimal? customAmount, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var amount = customAmount ?? product.Price * quantity;
        var payment = PaymentLink.Create(tenantId, contactId, conversationId,
            quantity > 1 ? $"{product.Name} × {quantity}" : product.Name, amount, product.Currency, now, product.Id, customAmount is null ? quantity : 1);
        await using var work = scopes.ForTenant(tenantId);
        var settings = await work.Db.PaymentSettings.AsNoTracking().SingleOrDefaultAsync(ct);
        if (settings is { StripeConnected: true })
        {
            try
            {
                var (sessionId, url) = await stripe.CreateCheckoutAsync(secrets.Unprotect(settings.ProtectedStripeSecretKey!), payment, product.ImageUrl,
                    platform.CurrentValue.PublicBaseUrl, ct);
                payment.AttachCheckout(sessionId, url, now);
            }
            catch (Exception ex) when (ex is Stripe.StripeException or HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                // The customer still gets a link that says how to pay; the operator sees why it is not a card checkout.
                log.LogWarning(ex, "Stripe Checkout could not be created for payment {PaymentId}; recorded as manual", payment.Id);
            }
        }
        work.Db.PaymentLinks.Add(payment);
        work.Db.Raise(Changed(payment));
        if (conversationId is { } id && await work.Db.Conversations.SingleOrDefaultAsync(c => c.Id == id, ct) is { } conversation)
            work.Db.ConversationEvents.Add(Timeline(conversation, payment, "requested", now));
        await work.Db.SaveChangesAsync(ct);
        return payment;
    }

    public async Task AttachVoucherAsync(Guid tenantId, Guid paymentId, Guid messageId, CancellationToken ct)
    {
        await using var work = scopes.ForTenant(tenantId);
        var payment = await Find(work.Db, paymentId, ct);
        // Only a customer's picture or document from the payment's own conversation can be its proof.
        var ok = await work.Db.Messages.AnyAsync(m => m.Id == messageId && m.ConversationId == payment.ConversationId
            && m.Direction == MessageDirection.Inbound && m.MediaContentType != null, ct);
        if (!ok) throw new DomainException("payment.voucher_invalid", "Choose an image or document the customer sent in this conversation.");
        payment.AttachVoucher(messageId, clock.GetUtcNow());
        work.Db.Raise(Changed(payment));
        await work.Db.SaveChangesAsync(ct);
    }

    /// <summary>An operator checked the transfer (or took the cash): the same effects as a card payment.</summary>
    public async Task ConfirmAsync(Guid tenantId, Guid paymentId, string confirmedBy, CancellationToken ct)
    {
        await using var work = scopes.ForTenant(tenantId);
        var payment = await Find(work.Db, paymentId, ct);
        if (payment.Status != PaymentLinkStatus.Pending)
            throw new DomainException("payment.not_pending", "Only a pending payment can be confirmed or rejected.");
        await ApplyPaidAsync(work.Db, payment, payment.Amount, payment.Currency, confirmedBy, clock.GetUtcNow(), ct);
        await work.Db.SaveChangesAsync(ct);
    }

    public async Task RejectAsync(Guid tenantId, Guid paymentId, CancellationToken ct)
    {
        await using var work = scopes.ForTenant(tenantId);
        var payment = await Find(work.Db, paymentId, ct);
        if (payment.Status != PaymentLinkStatus.Pending)
            throw new DomainException("payment.not_pending", "Only a pending payment can be confirmed or rejected.");
        await ApplyUnpaidAsync(work.Db, payment, PaymentLinkStatus.Failed, clock.GetUtcNow(), ct);
        await work.Db.SaveChangesAsync(ct);
    }

    private static PaymentChanged Changed(PaymentLink p) => new(p.TenantId, p.Id, p.ConversationId, p.Status.ToString().ToLowerInvariant());

    private static async Task<PaymentLink> Find(AppDbContext db, Guid paymentId, CancellationToken ct) =>
        await db.PaymentLinks.SingleOrDefaultAsync(p => p.Id == paymentId, ct)
        ?? throw new DomainException("payment.not_found", "No such payment in this workspace.");

    /// <summary>
    /// The one place a payment becomes paid (staged on <paramref name="db"/>; the caller saves): the payment, the lead's
    /// move to won, the thank-you to the customer (or a note saying it could not go), the timeline, and
    /// <see cref="PaymentCompleted"/>. Nothing happens when it was already paid (a redelivered or reordered event).
    /// </summary>
    public async Task<bool> ApplyPaidAsync(AppDbContext db, PaymentLink payment, decimal amount, string currency, string? by,
        DateTimeOffset now, CancellationToken ct)
    {
        if (!payment.MarkPaid(amount, currency, now)) return false;
        db.Raise(Changed(payment));
        var contact = await db.Contacts.SingleAsync(c => c.Id == payment.ContactId, ct);
        await MoveLeadToWonAsync(db, contact, payment, now, ct);
        var conversation = payment.ConversationId is { } id ? await db.Conversations.SingleOrDefaultAsync(c => c.Id == id, ct) : null;
        if (conversation is not null)
        {
            db.ConversationEvents.Add(Timeline(conversation, payment, "paid", now, by));
            var channel = await db.Channels.SingleAsync(c => c.Id == conversation.ChannelId, ct);
            var culture = await db.Tenants.Where(t => t.Id == payment.TenantId).Select(t => t.DefaultCulture).SingleAsync(ct);
            try
            {
                outbound.Stage(db, conversation, channel, MessageSender.Bot, null, new OutboundContent { Text = ThankYou(payment, culture) });
            }
            catch (Exception ex) when (ex is WindowClosedException or DomainException)
            {
                // Outside the customer window only a template may go, and none is set up for this: say so where people look.
                db.ConversationEvents.Add(Timeline(conversation, payment, "thanks_not_sent", now));
            }
        }
        db.Raise(new PaymentCompleted(payment.TenantId, payment.Id, payment.ContactId, payment.ConversationId, payment.ProductId,
            payment.Amount, payment.Currency, payment.Provider.ToString().ToLowerInvariant()));
        return true;
    }

    /// <summary>
    /// A paid customer is a won lead: moved to the workspace's first won stage through the pipeline (history, timeline,
    /// lead.stage_changed), unless it already sits in a won stage or the workspace has none.
    /// </summary>
    private static async Task MoveLeadToWonAsync(AppDbContext db, Contact contact, PaymentLink payment, DateTimeOffset now, CancellationToken ct)
    {
        var stages = await LeadPipeline.StagesAsync(db, ct);
        if (stages.FirstOrDefault(s => s.Id == contact.StageId) is { Kind: StageKind.Won }) return;
        if (stages.Where(s => s.Kind == StageKind.Won).OrderBy(s => s.Position).FirstOrDefault() is not { } won) return;
        await LeadPipeline.StageMoveAsync(db, contact, won, StageMover.Payment, payment.Description, now, ct);
    }

    /// <summary>Failed or expired (staged; the caller saves). Ignored when the payment already completed.</summary>
    public async Task<bool> ApplyUnpaidAsync(AppDbContext db, PaymentLink payment, PaymentLinkStatus outcome, DateTimeOffset now, CancellationToken ct)
    {
        if (!payment.MarkUnpaid(outcome, now)) return false;
        db.Raise(Changed(payment));
        if (payment.ConversationId is { } id && await db.Conversations.SingleOrDefaultAsync(c => c.Id == id, ct) is { } conversation)
            db.ConversationEvents.Add(Timeline(conversation, payment, outcome.ToString().ToLowerInvariant(), now));
        return true;
    }

    /// <summary>A timeline row for the payment; its data names the payment so the screens can show its status live.</summary>
    private static ConversationEvent Timeline(Conversation conversation, PaymentLink payment, string what, DateTimeOffset now, string? by = null)
    {
        var money = StripeGateway.Money(payment.Amount, payment.Currency);
        var text = what switch
        {
            "requested" => $"Payment requested: {payment.Description}, {money} ({payment.Provider.ToString().ToLowerInvariant()})",
            "paid" => $"Payment received: {payment.Description}, {money}" + (by is null ? "" : $" (confirmed by {by})"),
            "expired" => $"Payment link expired: {payment.Description}, {money}",
            "thanks_not_sent" => $"The thank-you for {payment.Description}, {money} was not sent: the customer window is closed.",
            _ => $"Payment failed: {payment.Description}, {money}",
        };
        // The screens word the row in the reader's language from these fields; the text stays for the API and old readers.
        var data = JsonSerializer.Serialize(new
        {
            kind = "payment", what, paymentId = payment.Id, status = payment.Status.ToString().ToLowerInvariant(),
            description = payment.Description, amount = payment.Amount, currency = payment.Currency, by,
        });
        return ConversationEvent.Record(conversation, ConversationEventType.Note, null, text, data, now);
    }

    private static string ThankYou(PaymentLink payment, string culture)
    {
        var money = StripeGateway.Money(payment.Amount, payment.Currency);
        return culture.StartsWith("en", StringComparison.OrdinalIgnoreCase)
            ? $"Thank you! We received your payment of {money} for {payment.Description}."
            : $"¡Gracias! Recibimos tu pago de {money} por {payment.Description}.";
    }
}
