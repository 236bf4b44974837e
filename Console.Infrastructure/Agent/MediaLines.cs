using OperatorConsole.Domain.Conversations;

namespace OperatorConsole.Infrastructure.Agent;

/// <summary>
/// How a customer's voice note or image reads in the conversation the model sees: its transcript or description, or a
/// plain statement that the agent could not open it (no model configured, the tenant's switch off, the file not fetched),
/// so the model asks for text instead of guessing. The offline agent recognises the same statements.
/// </summary>
public static class MediaLines
{
    /// <summary>The message types whose media is read, as the SQL literal list the turn queries use.</summary>
    public const string ReadTypes = $"'{nameof(MessageType.Audio)}', '{nameof(MessageType.Image)}'";

    public const string UnreadVoiceNote = "[The customer sent a voice note you cannot open. Ask them kindly to write it as text.]";
    public const string UnreadImage = "[The customer sent an image you cannot open. Ask them kindly to describe it in text.]";

    public static string Text(MessageType type, string? body, string? mediaText)
    {
        var line = type switch
        {
            MessageType.Audio => mediaText is null ? UnreadVoiceNote : $"[Voice note, transcribed] {mediaText}",
            MessageType.Image => mediaText is null ? UnreadImage : $"[Image, described] {mediaText}",
            _ => null,
        };
        if (line is null) return body ?? "";
        return string.IsNullOrWhiteSpace(body) ? line : $"{line}\n{body}";
    }

    /// <summary>The customer's own words in a line (the transcript, the caption), without our bracketed note: for language detection.</summary>
    public static string Spoken(string text) =>
        text.StartsWith('[') && text.IndexOf(']') is var end and > 0 ? text[(end + 1)..].Trim() : text;

    public static IEnumerable<string> Spoken(IEnumerable<string> texts) => texts.Select(Spoken);

    public static bool IsUnread(string text) => text.StartsWith(UnreadVoiceNote, StringComparison.Ordinal)
        || text.StartsWith(UnreadImage, StringComparison.Ordinal);
}
