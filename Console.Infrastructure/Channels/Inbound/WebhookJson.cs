using System.Buffers;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace OperatorConsole.Infrastructure.Channels.Inbound;

/// <summary>
/// Lenient readers shared by the webhook parsers. Channels disagree with their own docs about whether ids and
/// timestamps are JSON numbers or strings, so every reader here accepts both and returns null instead of throwing.
/// </summary>
internal static partial class WebhookJson
{
    // Payloads are stored, not embedded in HTML: keep accents and emoji readable instead of \u-escaping them.
    private static readonly JsonWriterOptions _writerOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    // 1970..9999: anything outside is a corrupt value, not a date.
    private const long MaxUnixSeconds = 253_402_300_799;

    /// <summary>Parses a whole delivery; anything that is not one JSON object is a format error.</summary>
    public static JsonDocument ParseDocument(ReadOnlySpan<byte> body, string channel)
    {
        // The reader does not check every string's bytes, and a string that is not UTF-8 would only fail when read (a 500):
        // the whole body is checked once, up front (vectorized, a fraction of the signature check's cost).
        if (!System.Text.Unicode.Utf8.IsValid(body)) throw new WebhookFormatException($"{channel} webhook body is not UTF-8.");
        JsonDocument? document = null;
        try
        {
            var reader = new Utf8JsonReader(body, isFinalBlock: true, state: default);
            document = JsonDocument.ParseValue(ref reader);
            // ParseValue stops after the first value; reading on throws on trailing bytes (a truncated or concatenated body).
            reader.Read();
        }
        catch (JsonException ex)
        {
            document?.Dispose();
            throw new WebhookFormatException($"{channel} webhook body is not valid JSON: {ex.Message}", ex);
        }
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            document.Dispose();
            throw new WebhookFormatException($"{channel} webhook body is not a JSON object.");
        }
        return document;
    }

    public static JsonElement? Prop(this JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null
            ? value
            : null;

    public static JsonElement? Obj(this JsonElement element, string name) =>
        element.Prop(name) is { ValueKind: JsonValueKind.Object } value ? value : null;

    /// <summary>The array's items, or nothing when the property is absent or not an array.</summary>
    public static IEnumerable<JsonElement> Items(this JsonElement element, string name) =>
        element.Prop(name) is { ValueKind: JsonValueKind.Array } array ? array.EnumerateArray() : [];

    /// <summary>A string, or a number's literal text (ids sometimes arrive as numbers); empty strings count as absent.</summary>
    public static string? Str(this JsonElement element, string name) => element.Prop(name) is { } value ? AsString(value) : null;

    public static string? AsString(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => Text(value) is { Length: > 0 } s ? s : null,
        JsonValueKind.Number => value.GetRawText(),
        _ => null,
    };

    public static bool Bool(this JsonElement element, string name) => element.Prop(name) switch
    {
        { ValueKind: JsonValueKind.True } => true,
        { ValueKind: JsonValueKind.String } s => string.Equals(Text(s), "true", StringComparison.OrdinalIgnoreCase),
        _ => false,
    };

    public static DateTimeOffset? UnixSeconds(this JsonElement element, string name) =>
        Integer(element, name) is { } s && s is >= 0 and <= MaxUnixSeconds ? DateTimeOffset.FromUnixTimeSeconds(s) : null;

    public static DateTimeOffset? UnixMilliseconds(this JsonElement element, string name) =>
        Integer(element, name) is { } ms && ms is >= 0 and <= MaxUnixSeconds * 1000 ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;

    private static long? Integer(JsonElement element, string name)
    {
        var value = element.Prop(name);
        if (value is { ValueKind: JsonValueKind.Number } n)
        {
            if (n.TryGetInt64(out var l)) return l;
            // Some SDKs serialize epoch values as doubles (1.458692752478E12).
            return n.TryGetDouble(out var d) && d is >= long.MinValue and <= long.MaxValue ? (long)d : null;
        }
        return value is { ValueKind: JsonValueKind.String } s
            && long.TryParse(Text(s), NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed)
            ? parsed
            : null;
    }

    /// <summary>
    /// A string value as text anything downstream can store: an escaped lone surrogate (<c>"\ud83d x"</c>, valid JSON but
    /// no valid text, so <see cref="JsonElement.GetString"/> throws) and NUL (which PostgreSQL text refuses) become U+FFFD.
    /// </summary>
    public static string? Text(JsonElement value)
    {
        string? text;
        try
        {
            text = value.GetString();
        }
        catch (InvalidOperationException)
        {
            text = JsonSerializer.Deserialize<string>(RepairSurrogates(value.GetRawText()));
        }
        return text?.Replace('\0', '\uFFFD');
    }

    // An escaped high surrogate not followed by a low one, or a low one not preceded by a high one; only where the
    // backslash starts an escape (preceded by an even number of backslashes).
    [System.Text.RegularExpressions.GeneratedRegex(@"(?<!\\)((?:\\\\)*)(?:\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2})")]
    private static partial System.Text.RegularExpressions.Regex LoneSurrogate();

    // NUL escaped as JSON writes it: jsonb refuses \u0000.
    [System.Text.RegularExpressions.GeneratedRegex(@"(?<!\\)((?:\\\\)*)\\u0000")]
    private static partial System.Text.RegularExpressions.Regex EscapedNul();

    private static string RepairSurrogates(string json) => LoneSurrogate().Replace(json, "$1\\uFFFD");

    /// <summary>Writes one compact JSON object and returns it as a string.</summary>
    public static string WriteObject(Action<Utf8JsonWriter> writeProperties)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, _writerOptions))
        {
            writer.WriteStartObject();
            writeProperties(writer);
            writer.WriteEndObject();
        }
        return StorableJson(System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan));
    }

    /// <summary>The element re-written compactly (the wire may be pretty-printed).</summary>
    public static string Compact(JsonElement element)
    {
        string json;
        try
        {
            json = Write(element);
        }
        catch (InvalidOperationException)
        {
            // Escaped lone surrogates cannot be re-written: U+FFFD takes their place, the rest is kept as received.
            using var repaired = JsonDocument.Parse(RepairSurrogates(element.GetRawText()));
            json = Write(repaired.RootElement);
        }
        return StorableJson(json);
    }

    /// <summary>JSON that a jsonb column accepts: an escaped NUL becomes U+FFFD.</summary>
    public static string StorableJson(string json) => json.Contains("\\u0000", StringComparison.Ordinal) ? EscapedNul().Replace(json, "$1\\uFFFD") : json;

    private static string Write(JsonElement element)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, _writerOptions))
            element.WriteTo(writer);
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Copies the named properties that are present, under the same names.</summary>
    public static void CopyProperties(Utf8JsonWriter writer, JsonElement source, params string[] names)
    {
        foreach (var name in names)
        {
            if (source.Prop(name) is not { } value) continue;
            writer.WritePropertyName(name);
            value.WriteTo(writer);
        }
    }

    /// <summary>
    /// Whether a malformed item inside a batch can be skipped: these are what <see cref="JsonElement"/> throws on a
    /// shape it did not expect. Anything else is a bug and must surface.
    /// </summary>
    public static bool IsBadElement(Exception ex) =>
        ex is InvalidOperationException or FormatException or KeyNotFoundException or ArgumentOutOfRangeException
            or OverflowException or JsonException;
}
