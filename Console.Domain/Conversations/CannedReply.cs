using OperatorConsole.Domain.Common;

namespace OperatorConsole.Domain.Conversations;

/// <summary>A saved answer agents insert by typing its <c>/shortcut</c> in the composer. One per shortcut per tenant.</summary>
public sealed class CannedReply : ITenantOwned
{
    public const int MaxShortcutLength = 40;
    public const int MaxTextLength = 4096;

    private CannedReply() { }

    public Guid Id { get; private set; }
    public Guid TenantId { get; private set; }

    /// <summary>Lowercase letters, digits, '-' and '_', stored without the leading slash.</summary>
    public string Shortcut { get; private set; } = "";
    public string Text { get; private set; } = "";
    public DateTimeOffset CreatedAt { get; private set; }

    public static CannedReply Create(Guid tenantId, string shortcut, string text, DateTimeOffset now)
    {
        var reply = new CannedReply { Id = Guid.CreateVersion7(now), TenantId = tenantId, CreatedAt = now };
        reply.Change(shortcut, text);
        return reply;
    }

    public void Change(string shortcut, string text)
    {
        Shortcut = NormalizeShortcut(shortcut);
        text = text?.Trim() ?? "";
        if (text.Length is 0 or > MaxTextLength)
            throw new DomainException("canned.text", $"A canned reply needs a text of at most {MaxTextLength} characters.", MaxTextLength);
        Text = text;
    }

    public static string NormalizeShortcut(string? shortcut)
    {
        var s = (shortcut ?? "").Trim().TrimStart('/').ToLowerInvariant();
        if (s.Length is 0 or > MaxShortcutLength || !s.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            throw new DomainException("canned.shortcut",
                $"A shortcut is 1 to {MaxShortcutLength} letters, digits, '-' or '_' (typed after '/').", MaxShortcutLength);
        return s;
    }
}
