using OperatorConsole.Domain.Common;

namespace OperatorConsole.Domain.Agent;

public enum PaymentLinkStatus { Pending, Paid, Failed, Expired, Refunded }

/// <summary>Who collects the money: the tenant's own Stripe account (Checkout) or the business by hand (transfer, cash).</summary>
public enum PaymentProvider { Stripe, Manual }

/// <summary>
/// A payment asked of a customer, sent as a link (/pay/{id}). With the tenant's Stripe account connected it carries a
/// Checkout Session the customer pays on; otherwise it is manual: the customer pays by transfer or cash and an operator
/// confirms it, usually against a photo of the voucher sent in the conversation.
/// </summary>
public sealed class PaymentLink : ITenantOwned
{
    private PaymentLink() { }

    public Guid Id { get; private set; }
    public Guid TenantId { get; private set; }
    public Guid ContactId { get; private set; }
    public Guid? ConversationId { get; private set; }

    /// <summary>The catalogue product charged (the amount and currency are its price when the link was made).</summary>
    public Guid? ProductId { get; private set; }
    public string Description { get; private set; } = "";
    public int Quantity { get; private set; } = 1;

    /// <summary>What is asked; once paid through Stripe, what Stripe says was paid.</summary>
    public decimal Amount { get; private set; }

    /// <summary>ISO 4217, upper case (MXN, COP, USD…).</summary>
    public string Currency { get; private set; } = "";
    public PaymentLinkStatus Status { get; private set; }
    public PaymentProvider Provider { get; private set; }

    /// <summary>Stripe's Checkout Session id (cs_…) and the URL the customer pays on; null for manual payments.</summary>
    public string? ProviderReference { get; private set; }
    public string? CheckoutUrl { get; private set; }

    /// <summary>The customer's message whose photo shows the transfer voucher (manual payments).</summary>
    public Guid? VoucherMessageId { get; private set; }
    public DateTimeOffset CreatedAt { get; private set; }
    public DateTimeOffset? PaidAt { get; private set; }
    public DateTimeOffset UpdatedAt { get; private set; }

    public static PaymentLink Create(Guid tenantId, Guid contactId, Guid? conversationId, string description, decimal amount,
        string currency, DateTimeOffset now, Guid? productId = null, int quantity = 1)
    {
        description = description?.Trim() ?? "";
        currency = (currency ?? "").Trim().ToUpperInvariant();
        if (description.Length is 0 or > 200) throw new DomainException("payment.description", "Say what is being paid (at most 200 characters).");
        if (quantity is < 1 or > 100) throw new DomainException("payment.quantity", "The quantity is between 1 and 100.");
        if (amount <= 0 || amount > 1_000_000) throw new DomainException("payment.amount", "The amount must be positive (at most 1,000,000).");
        if (currency.Length != 3 || !currency.All(char.IsAsciiLetterUpper))
            throw new DomainException("payment.currency", "The currency is a three-letter ISO code such as MXN or USD.");
        return new PaymentLink
        {
            Id = Guid.CreateVersion7(now),
            TenantId = tenantId,
            ContactId = contactId,
            ConversationId = conversationId,
            ProductId = productId,
            Description = description,
            Quantity = quantity,
            Amount = decimal.Round(amount, 2),
            Currency = currency,
            Status = PaymentLinkStatus.Pending,
            Provider = PaymentProvider.Manual,
            CreatedAt = now,
            UpdatedAt = now,
        };
    }

    /// <summary>The Checkout Session created for this payment: from now on Stripe's webhook decides the outcome.</summary>
    public void AttachCheckout(string sessionId, string url, DateTimeOffset now)
    {
        if (Status != PaymentLinkStatus.Pending) throw new DomainException("payment.not_pending", "Only a pending payment can get a checkout.");
        Provider = PaymentProvider.Stripe;
        ProviderReference = sessionId;
        CheckoutUrl = url;
        UpdatedAt = now;
    }

    public void AttachVoucher(Guid messageId, DateTimeOffset now)
    {
        if (Status != PaymentLinkStatus.Pending) throw new DomainException("payment.not_pending", "Only a pending payment can take a voucher.");
        VoucherMessageId = messageId;
        UpdatedAt = now;
    }

    /// <summary>
    /// Paid with what was actually received. Returns false when already paid or refunded: providers retry and
    /// reorder events, and a payment that completed never goes back (a later "expired" or "failed" is ignored too).
    /// </summary>
    public bool MarkPaid(decimal amount, string currency, DateTimeOffset at)
    {
        if (Status is PaymentLinkStatus.Paid or PaymentLinkStatus.Refunded) return false;
        if (amount > 0) Amount = decimal.Round(amount, 2);
        if (!string.IsNullOrWhiteSpace(currency)) Currency = currency.Trim().ToUpperInvariant();
        Status = PaymentLinkStatus.Paid;
        PaidAt = at;
        UpdatedAt = at;
        return true;
    }

    /// <summary>Failed (card declined, voucher rejected) or expired (checkout ran out); only a pending or failed payment moves.</summary>
    public bool MarkUnpaid(PaymentLinkStatus outcome, DateTimeOffset now)
    {
        if (outcome is not (PaymentLinkStatus.Failed or PaymentLinkStatus.Expired))
            throw new ArgumentOutOfRangeException(nameof(outcome));
        if (Status is not (PaymentLinkStatus.Pending or PaymentLinkStatus.Failed) || Status == outcome) return false;
        Status = outcome;
        UpdatedAt = now;
        return true;
    }
}
