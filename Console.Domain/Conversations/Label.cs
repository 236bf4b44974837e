using OperatorConsole.Domain.Common;

namespace OperatorConsole.Domain.Conversations;

/// <summary>
/// A tag the business defines (name + colour) and puts on conversations, so agents sort their work at a glance
/// ("Urgente", "Factura", "VIP"). One name per tenant.
/// </summary>
public sealed class Label : ITenantOwned
{
    public const int MaxNameLength = 30;
    public const string NotFoundCode = "label.not_found";
    public const string DuplicateCode = "label.duplicate";

    /// <summary>The colours the UI offers; any #rrggbb is accepted from the API.</summary>
    public static readonly IReadOnlyList<string> Palette =
        ["#2563eb", "#16a34a", "#dc2626", "#ea580c", "#ca8a04", "#9333ea", "#db2777", "#0d9488", "#4b5563"];

    private Label() { }

    public Guid Id { get; private set; }
    public Guid TenantId { get; private set; }
    public string Name { get; private set; } = "";

    /// <summary>Lowercase #rrggbb.</summary>
    public string Color { get; private set; } = "";
    public DateTimeOffset CreatedAt { get; private set; }

    public static Label Create(Guid tenantId, string name, string? color, DateTimeOffset now)
    {
        var label = new Label { Id = Guid.CreateVersion7(now), TenantId = tenantId, CreatedAt = now };
        label.Change(name, color);
        return label;
    }

    public void Change(string name, string? color)
    {
        name = (name ?? "").Trim();
        if (name.Length is 0 or > MaxNameLength)
            throw new DomainException("label.name", $"A label needs a name of 1 to {MaxNameLength} characters.");
        Name = name;
        Color = NormalizeColor(color);
    }

    /// <summary>#rrggbb (the first colour of the palette when none is given).</summary>
    public static string NormalizeColor(string? color)
    {
        if (string.IsNullOrWhiteSpace(color)) return Palette[0];
        var c = color.Trim().ToLowerInvariant();
        if (c.Length != 7 || c[0] != '#' || !c[1..].All(char.IsAsciiHexDigit))
            throw new DomainException("label.color", "A label's colour is written #rrggbb.");
        return c;
    }
}

/// <summary>A label on a conversation. The database ties both ends to the same tenant (composite keys).</summary>
public sealed class ConversationLabel : ITenantOwned
{
    private ConversationLabel() { }

    public Guid TenantId { get; private set; }
    public Guid ConversationId { get; private set; }
    public Guid LabelId { get; private set; }
    public DateTimeOffset CreatedAt { get; private set; }

    public static ConversationLabel Create(Guid tenantId, Guid conversationId, Guid labelId, DateTimeOffset now) =>
        new() { TenantId = tenantId, ConversationId = conversationId, LabelId = labelId, CreatedAt = now };
}
