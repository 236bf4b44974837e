using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using OperatorConsole.Tests.Channels.Inbound;

namespace OperatorConsole.Tests.Hostile;

/// <summary>One generated webhook body: how it was made (shown when a property fails) and its bytes.</summary>
public sealed record HostileBody(string Source, string How, byte[] Bytes)
{
    public override string ToString()
    {
        var text = Encoding.UTF8.GetString(Bytes);
        return $"{Source} {How}: {(text.Length > 600 ? text[..600] + $"… ({text.Length} chars)" : text)}";
    }
}

/// <summary>The channels' accounts a generated body names (the parser tests' defaults, or a test's connected channels).</summary>
public sealed record HostileAccounts(
    string PhoneNumberId = InboundPayloads.PhoneNumberId,
    string PageId = InboundPayloads.PageId,
    string IgAccountId = InboundPayloads.IgAccountId,
    string TikTokBusinessId = InboundPayloads.TikTokBusinessId);

/// <summary>
/// FsCheck generators of hostile webhook bodies: (a) random JSON over the keys the channels use, and (b) real sample
/// payloads of each channel mutated: fields dropped, renamed or retagged, values replaced by other types, huge strings,
/// odd unicode (escaped lone surrogates, NUL, RTL marks), nulls, objects wrapped in arrays and arrays unwrapped.
/// </summary>
public static class HostilePayloads
{
    public static readonly string[] MetaSources = ["whatsapp", "messenger", "instagram"];
    public static readonly string[] Sources = ["whatsapp", "messenger", "instagram", "tiktok"];

    /// <summary>Keys the parsers look for, so random objects reach past the first checks.</summary>
    private static readonly string[] Keys =
    [
        "object", "entry", "changes", "field", "value", "metadata", "phone_number_id", "messages", "statuses", "contacts", "errors",
        "profile", "name", "wa_id", "user_id", "from", "id", "timestamp", "type", "text", "body", "image", "caption", "mime_type",
        "sha256", "context", "referral", "status", "recipient_id", "conversation", "pricing", "biz_opaque_callback_data", "code",
        "title", "messaging", "sender", "recipient", "message", "mid", "attachments", "payload", "url", "is_echo", "is_deleted",
        "is_unsupported", "app_id", "reply_to", "reaction", "emoji", "read", "watermark", "delivery", "quick_reply", "event",
        "create_time", "user_openid", "content", "message_id", "conversation_id", "from_user", "to_user", "client_key", "time",
        "interactive", "button_reply", "location", "latitude", "longitude", "order", "product_items", "event_id", "data",
    ];

    private static readonly string[] Objects = ["whatsapp_business_account", "page", "instagram", "event", "user", ""];

    /// <summary>String values as they appear inside JSON text (already escaped), hostile ones included.</summary>
    private static readonly string[] Strings =
    [
        "", " ", "hola", "wamid.HBgL", "image", "text", "unknown_kind", "106540352242922", "5215512345678", "1749416383", "1458692752478",
        "-1", "99999999999999999999999", "NaN", "null", "true", "{}", "[]", "ñandú 🦩 ありがとう", "\\u0000", "\\ud800", "\\udfff\\ud800",
        "\\u202e\\u200b\\ufeff", "<script>window.__xss=1</script>", "'); DROP TABLE contacts;--", "../../etc/passwd", "%00%ff",
        "e\\u0301\\u0301\\u0301", "\\\\\\\"", "https://127.0.0.1/x", "file:///etc/passwd", "2025-06-08T20:59:43Z",
    ];

    private static readonly string[] Numbers =
    [
        "0", "-0", "1", "-1", "1.5", "1e400", "-1e400", "1E-400", "9223372036854775807", "9223372036854775808", "-9223372036854775809",
        "1749416383", "1458692752478", "1.458692752478E12", "123456789012345678901234567890", "253402300800", "0.0000001",
    ];

    public static Gen<T> Freq<T>(params (int, Gen<T>)[] choices) => Gen.Frequency(choices);

    private static Gen<string> Quoted(Gen<string> raw) => raw.Select(s => "\"" + s + "\"");

    private static Gen<string> HugeString => Gen.Elements(1_000, 20_000, 100_000).Zip(Gen.Elements("a", "é", "🦩", "\\\\", "\\u0000"))
        .Select(p => "\"" + string.Concat(Enumerable.Repeat(p.Item2, p.Item1 / p.Item2.Length)) + "\"");

    private static Gen<string> Scalar => Freq(
        (2, Gen.Elements("null", "true", "false")),
        (3, Gen.Elements(Numbers)),
        (5, Quoted(Gen.Elements(Strings))),
        (1, HugeString));

    /// <summary>Any JSON value, at most <paramref name="depth"/> levels deep.</summary>
    public static Gen<string> Value(int depth) => depth <= 0 ? Scalar : Freq(
        (4, Scalar),
        (2, Gen.ListOf(Gen.Choose(0, 3).SelectMany(_ => Value(depth - 1))).Select(items => "[" + string.Join(",", items.Take(4)) + "]")),
        (3, ObjectOf(depth)));

    private static Gen<string> ObjectOf(int depth) =>
        Gen.ListOf(Gen.Elements(Keys).Zip(Value(depth - 1)))
            .Select(props => "{" + string.Join(",", props.Take(5).Select(p => $"\"{p.Item1}\":{p.Item2}")) + "}");

    /// <summary>(a) Random JSON: mostly an object naming one of the channels' <c>object</c> values with a random <c>entry</c>.</summary>
    public static Gen<HostileBody> RandomJson(string source) => Freq(
        (1, Value(4).Select(v => new HostileBody(source, "random value", Encoding.UTF8.GetBytes(v)))),
        (4, Gen.Elements(Objects).Zip(Value(5)).Zip(ObjectOf(4)).Select(t =>
        {
            var ((objectName, entry), rest) = t;
            var json = $"{{\"object\":\"{objectName}\",\"entry\":{entry}" + (rest.Length > 2 ? "," + rest[1..] : "}");
            return new HostileBody(source, "random object", Encoding.UTF8.GetBytes(json));
        })),
        (2, ObjectOf(5).Select(v => new HostileBody(source, "random tiktok-like", Encoding.UTF8.GetBytes(
            "{\"event\":\"im_receive_msg\",\"user_openid\":\"" + InboundPayloads.TikTokBusinessId + "\",\"content\":"
            + JsonSerializer.Serialize(v) + "}")))));

    // ---- (b) mutations of real samples ---------------------------------------------------------------------------

    /// <summary>Real deliveries of each channel (channels.md shapes), for the given accounts.</summary>
    public static string[] Samples(string source, HostileAccounts a) => source switch
    {
        "whatsapp" =>
        [
            InboundPayloads.WhatsAppText(a.PhoneNumberId, wamid: "wamid.S1", text: "hola"),
            InboundPayloads.WhatsAppStatus(a.PhoneNumberId, "wamid.OUT1", "read"),
            InboundPayloads.WhatsAppStatus(a.PhoneNumberId, "wamid.OUT2", "failed"),
            InboundPayloads.WhatsAppDelivery(InboundPayloads.WhatsAppValue(a.PhoneNumberId,
                contacts: [InboundPayloads.WhatsAppContact()],
                messages:
                [
                    InboundPayloads.WhatsAppMessage("image", new JsonObject { ["id"] = "m1", ["mime_type"] = "image/jpeg", ["sha256"] = "x", ["caption"] = "foto" }, "wamid.S2"),
                    InboundPayloads.WhatsAppMessage("location", new JsonObject { ["latitude"] = 19.4, ["longitude"] = -99.1, ["name"] = "Casa" }, "wamid.S3"),
                    InboundPayloads.WhatsAppMessage("interactive", new JsonObject { ["type"] = "button_reply", ["button_reply"] = new JsonObject { ["id"] = "b1", ["title"] = "Sí" } }, "wamid.S4"),
                ])),
            InboundPayloads.WhatsAppDelivery(InboundPayloads.WhatsAppValue(a.PhoneNumberId,
                errors: [new JsonObject { ["code"] = 131047, ["title"] = "Re-engagement message" }])),
        ],
        "messenger" =>
        [
            InboundPayloads.MessengerText(a.PageId, mid: "m_S1"),
            InboundPayloads.MessengerEcho(a.PageId, mid: "m_S2"),
            InboundPayloads.MetaDelivery("page", a.PageId, InboundPayloads.MetaItem(InboundPayloads.Psid, a.PageId, InboundPayloads.TimestampMs, "message",
                new JsonObject
                {
                    ["mid"] = "m_S3", ["text"] = "mira",
                    ["attachments"] = new JsonArray(new JsonObject { ["type"] = "image", ["payload"] = new JsonObject { ["url"] = "https://scontent.xx.fbcdn.net/a.jpg" } }),
                })),
            InboundPayloads.MetaDelivery("page", a.PageId, InboundPayloads.MetaItem(InboundPayloads.Psid, a.PageId, InboundPayloads.TimestampMs, "reaction",
                new JsonObject { ["mid"] = "m_S1", ["action"] = "react", ["reaction"] = "love", ["emoji"] = "❤" })),
            InboundPayloads.MetaDelivery("page", a.PageId, InboundPayloads.MetaItem(InboundPayloads.Psid, a.PageId, InboundPayloads.TimestampMs, "read",
                new JsonObject { ["watermark"] = InboundPayloads.TimestampMs })),
        ],
        "instagram" =>
        [
            InboundPayloads.InstagramText(a.IgAccountId, mid: "ig_S1"),
            InboundPayloads.MetaDelivery("instagram", a.IgAccountId, InboundPayloads.MetaItem(InboundPayloads.Igsid, a.IgAccountId, InboundPayloads.TimestampMs,
                "message", new JsonObject
                {
                    ["mid"] = "ig_S2",
                    ["attachments"] = new JsonArray(new JsonObject { ["type"] = "story_mention", ["payload"] = new JsonObject { ["url"] = "https://lookaside.fbsbx.com/s" } }),
                })),
            InboundPayloads.MetaDelivery("instagram", a.IgAccountId, InboundPayloads.MetaItem(InboundPayloads.Igsid, a.IgAccountId, InboundPayloads.TimestampMs,
                "message", new JsonObject { ["mid"] = "ig_S3", ["is_deleted"] = true })),
        ],
        "tiktok" =>
        [
            InboundPayloads.TikTokText(a.TikTokBusinessId, messageId: "tt_S1"),
            InboundPayloads.TikTokEcho(a.TikTokBusinessId, messageId: "tt_S2"),
            InboundPayloads.TikTokEvent("im_receive_msg", InboundPayloads.TikTokContent("image", new JsonObject { ["media_id"] = "x", ["url"] = "https://p16.tiktokcdn.com/a" },
                "tt_S3", InboundPayloads.TikTokOpenId, a.TikTokBusinessId), a.TikTokBusinessId),
        ],
        _ => throw new ArgumentOutOfRangeException(nameof(source)),
    };

    private enum Op { Drop, Rename, Replace, Retag, Wrap, Unwrap, Huge, LoneSurrogate, Nul, Truncate, Duplicate }

    private sealed record Mutation(Op Op, int Pick, string Replacement, string Name);

    private static Gen<Mutation> MutationGen => Gen.Elements(Enum.GetValues<Op>()).Zip(Gen.Choose(0, 10_000)).Zip(Value(2))
        .SelectMany(t => Gen.Elements(Keys.Concat(["x", "Type", "TYPE", "ｔｙｐｅ", ""]).ToArray())
            .Select(name => new Mutation(t.Item1.Item1, t.Item1.Item2, t.Item2, name)));

    /// <summary>(b) A real sample of <paramref name="source"/> with one to four mutations applied.</summary>
    public static Gen<HostileBody> Mutated(string source, HostileAccounts? accounts = null) =>
        MutatedText(Samples(source, accounts ?? new HostileAccounts()), source);

    /// <summary>One of <paramref name="samples"/> with one to four mutations applied.</summary>
    public static Gen<HostileBody> MutatedText(string[] samples, string source) =>
        Gen.Choose(0, samples.Length - 1).Zip(Gen.ListOf(MutationGen)).Select(t =>
        {
            var (index, mutations) = t;
            var applied = mutations.Take(4).ToList();
            if (applied.Count == 0) applied.Add(new Mutation(Op.Retag, index * 7, "\"x\"", "type"));
            var text = samples[index];
            foreach (var m in applied) text = Apply(text, m, source);
            return new HostileBody(source, $"sample {index} mutated ({string.Join(", ", applied.Select(m => m.Op))})", Encoding.UTF8.GetBytes(text));
        });

    /// <summary>Random JSON or mutated samples, half and half.</summary>
    public static Gen<HostileBody> Any(string source, HostileAccounts? accounts = null) =>
        Freq((1, RandomJson(source)), (2, Mutated(source, accounts)));

    private const string Marker = "\u0001MARK\u0001";

    private static string Apply(string json, Mutation m, string source)
    {
        try
        {
            return ApplyOrThrow(json, m, source);
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or JsonException)
        {
            return json; // the generator's own JSON tooling refused the shape: keep the previous text
        }
    }

    private static string ApplyOrThrow(string json, Mutation m, string source)
    {
        if (m.Op == Op.Truncate) return json.Length < 2 ? json : json[..(m.Pick % json.Length)];
        if (m.Op == Op.Duplicate)
        {
            // A key repeated with a different value: which one wins must not matter for safety.
            var brace = json.IndexOf('{', 1);
            return brace < 0 ? json : json[..(brace + 1)] + $"\"{m.Name}\":{m.Replacement}," + json[(brace + 1)..];
        }
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(json);
        }
        catch (Exception)
        {
            return json; // an earlier mutation already broke the text: leave it broken
        }
        if (root is null) return json;
        // TikTok's content is JSON inside a string: mutate inside it as often as outside.
        if (source == "tiktok" && root is JsonObject tiktok && tiktok["content"] is JsonValue c && c.TryGetValue<string>(out var inner)
            && m.Pick % 2 == 0)
        {
            tiktok["content"] = Apply(inner, m with { Pick = m.Pick / 2 }, "content");
            return root.ToJsonString(Relaxed);
        }
        var nodes = Descendants(root).ToList();
        var target = nodes[m.Pick % nodes.Count];
        var parent = target.Parent;
        var replacement = Node(m.Replacement);
        switch (m.Op)
        {
            case Op.Drop when parent is JsonObject o:
                o.Remove(target.GetPropertyName());
                break;
            case Op.Drop when parent is JsonArray a:
                a.Remove(target);
                break;
            case Op.Rename when parent is JsonObject o:
            {
                var name = target.GetPropertyName();
                o.Remove(name);
                o[name == m.Name ? m.Name + "_" : m.Name] = target;
                break;
            }
            case Op.Replace:
                ReplaceWith(target, replacement);
                break;
            case Op.Retag:
            {
                // An unknown type where a type is named: the channel's contract says it is kept as "unsupported".
                var typed = nodes.OfType<JsonObject>().Where(n => n.ContainsKey("type")).ToList();
                if (typed.Count > 0) typed[m.Pick % typed.Count]["type"] = "brand_new_kind_" + m.Pick;
                break;
            }
            case Op.Wrap:
                ReplaceWith(target, new JsonArray(target.DeepClone()));
                break;
            case Op.Unwrap when target is JsonArray { Count: > 0 } array:
                ReplaceWith(target, array[0]?.DeepClone());
                break;
            case Op.Huge:
                ReplaceWith(target, JsonValue.Create(new string('ñ', 100_000 + m.Pick)));
                break;
            case Op.LoneSurrogate or Op.Nul:
                ReplaceWith(target, JsonValue.Create(Marker));
                break;
        }
        var text = root.ToJsonString(Relaxed);
        return m.Op switch
        {
            Op.LoneSurrogate => text.Replace(JsonSerializer.Serialize(Marker, Relaxed), "\"\\ud83d x\""),
            Op.Nul => text.Replace(JsonSerializer.Serialize(Marker, Relaxed), "\"a\\u0000b\""),
            _ => text,
        };
    }

    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public const string RawPlaceholder = "RAW_PLACEHOLDER_7f3a";

    /// <summary>
    /// <paramref name="json"/> with the string value <see cref="RawPlaceholder"/> replaced by the raw JSON
    /// <paramref name="raw"/> (which may hold what System.Text.Json's nodes refuse to write, e.g. escaped lone
    /// surrogates); inside a JSON string (TikTok's content) it goes in escaped.
    /// </summary>
    public static string WithRaw(string json, string raw)
    {
        var plain = "\"" + RawPlaceholder + "\"";
        if (json.Contains(plain, StringComparison.Ordinal)) return json.Replace(plain, raw);
        var inner = JsonSerializer.Serialize(raw)[1..^1];
        var nested = "\\\"" + RawPlaceholder + "\\\"";
        if (json.Contains(nested, StringComparison.Ordinal)) return json.Replace(nested, inner);
        return json.Replace("\\u0022" + RawPlaceholder + "\\u0022", inner); // the default encoder writes quotes in strings as \u0022
    }

    /// <summary>The JSON as a node, or as a string value when System.Text.Json will not hold it.</summary>
    public static JsonNode? Node(string json)
    {
        try
        {
            return JsonNode.Parse(json);
        }
        catch (Exception)
        {
            return JsonValue.Create(json); // e.g. an escaped lone surrogate JsonNode will not hold: keep it as text
        }
    }

    private static void ReplaceWith(JsonNode target, JsonNode? replacement)
    {
        switch (target.Parent)
        {
            case JsonObject o:
                o[target.GetPropertyName()] = replacement;
                break;
            case JsonArray a:
                a[a.IndexOf(target)] = replacement;
                break;
        }
    }

    private static IEnumerable<JsonNode> Descendants(JsonNode node)
    {
        yield return node;
        var children = node switch
        {
            JsonObject o => o.Select(p => p.Value),
            JsonArray a => a.AsEnumerable(),
            _ => [],
        };
        foreach (var child in children)
        {
            if (child is null) continue;
            foreach (var d in Descendants(child)) yield return d;
        }
    }

    /// <summary>How many cases each channel gets: CI-sized unless CONSOLE_FUZZ_CASES says otherwise (the proof run sets thousands).</summary>
    public static int Cases(int ci) =>
        int.TryParse(Environment.GetEnvironmentVariable("CONSOLE_FUZZ_CASES"), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : ci;
}

public static class JsonSearch
{
    /// <summary>Whether some string value anywhere in <paramref name="json"/> equals <paramref name="value"/>.</summary>
    public static bool HasString(string json, string value)
    {
        using var document = JsonDocument.Parse(json);
        return Has(document.RootElement, value);
    }

    private static bool Has(JsonElement e, string value) => e.ValueKind switch
    {
        JsonValueKind.String => e.ValueEquals(value),
        JsonValueKind.Array => e.EnumerateArray().Any(i => Has(i, value)),
        JsonValueKind.Object => e.EnumerateObject().Any(p => Has(p.Value, value)),
        _ => false,
    };
}
