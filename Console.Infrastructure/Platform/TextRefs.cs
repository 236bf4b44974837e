using System.Text.Json;
using OperatorConsole.Domain.Channels;
using OperatorConsole.Domain.Common;
using OperatorConsole.Infrastructure.Channels.Outbound;

namespace OperatorConsole.Infrastructure.Platform;

/// <summary>
/// How a <see cref="TextRef"/> is kept in a JSON column (a timeline entry's data), and the resource keys of the refusals
/// people read: one mapping for the screens' error messages and the sentences stored for later.
/// </summary>
public static class TextRefs
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static string Serialize(TextRef text) => JsonSerializer.Serialize(new { key = text.Key, args = text.Args }, Json);

    /// <summary>The key and values stored by <see cref="Serialize"/>, or null for data that holds none.</summary>
    public static (string Key, string[] Args)? Parse(string? data)
    {
        if (string.IsNullOrEmpty(data)) return null;
        try
        {
            using var doc = JsonDocument.Parse(data);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("key", out var key) || key.ValueKind != JsonValueKind.String) return null;
            var args = root.TryGetProperty("args", out var a) && a.ValueKind == JsonValueKind.Array
                ? a.EnumerateArray().Select(v => v.ValueKind == JsonValueKind.String ? v.GetString() ?? "" : v.GetRawText()).ToArray()
                : [];
            return (key.GetString()!, args);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The resource key that explains a window that closed, per channel rule.</summary>
    public static string WindowClosedKey(ChannelKind? kind) => kind switch
    {
        ChannelKind.WhatsApp => "Error.window_closed.whatsapp",
        ChannelKind.Messenger or ChannelKind.Instagram => "Error.window_closed.human_agent",
        null => "Error.WindowClosed",
        _ => "Error.window_closed.other",
    };

    /// <summary>A refusal without values as a translatable word, or null when it needs its values (or is not ours).</summary>
    public static string? Word(Exception ex) => ex switch
    {
        WindowClosedException w => TextRef.Word(WindowClosedKey(w.Kind)),
        DomainException { Args.Count: 0 } d => TextRef.Word($"Error.{d.Code}"),
        _ => null,
    };
}
