using OperatorConsole.Domain.Common;

namespace OperatorConsole.Domain.Agent;

public enum PaymentLinkStatus { Open, Paid, Expired, Cancelled }

/// <summary>
/// A request for the customer to pay an amount, sent as a link. The checkout behind the link (Stripe) is added by
/// the Revenue step; the agent already creates, sends and tracks the request.
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
    public decimal Amount { get; private set; }

    /// <summary>ISO 4217, upper case (MXN, COP, USD…).</summary>
    public string Currency { get; private set; } = "";
    public PaymentLinkStatus Status { get; private set; }
    public DateTimeOffset CreatedAt { get; private set; }

    public static PaymentLink Create(Guid tenantId, Guid contactId, Guid? conversationId, string description, decimal amount,
        string currency, DateTimeOffset now, Guid? productId = null)
    {
        description = description?.Trim() ?? "";
        currency = (currency ?? "").Trim().ToUpperInvariant();
        if (description.Length is 0 or > 200) throw new DomainException("payment.description", "Say what is being paid (at most 200 characters).");
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
            Amount = decimal.Round(amount, 2),
            Currency = currency,
            Status = PaymentLinkStatus.Open,
            CreatedAt = now,
        };
    }

    public void MarkPaid() => Status = Status == PaymentLinkStatus.Open ? PaymentLinkStatus.Paid : Status;
}
