using System.Text.Json;
using Json.Schema;

namespace OperatorConsole.Infrastructure.Agent.Tools;

/// <summary>
/// The tenant's parametersSchema, checked with JsonSchema.Net: once when the tool is saved (is it a usable schema?) and
/// on every call (do the model's arguments match it?). A model can be talked into anything, so its arguments are data
/// to check, never instructions: a call that does not match is not sent.
/// </summary>
public static class ToolSchemas
{
    private const int MaxReasons = 5;

    /// <summary>Builds the schema; throws <see cref="ToolSchemaException"/> with the reason when it cannot be used.</summary>
    public static JsonSchema Build(string schemaText)
    {
        try
        {
            using var doc = JsonDocument.Parse(schemaText);
            // Checked against the 2020-12 meta-schema first: JsonSchema.Net builds some invalid keywords without complaint
            // ("type": "strnig", "maxLength": -1) and they would then never match anything.
            var meta = MetaSchemas.Draft202012.Evaluate(doc.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
            if (!meta.IsValid) throw new ToolSchemaException("parametersSchema is not a valid JSON Schema: " + Describe(meta));
            // A registry of its own: tenants' schemas never meet in the global one (an "$id" of one tenant must not
            // resolve another's "$ref"), and nothing is fetched from the network.
            return JsonSchema.Build(doc.RootElement.Clone(), new BuildOptions { SchemaRegistry = new SchemaRegistry() },
                new Uri($"urn:tool-schema:{Guid.NewGuid():N}"));
        }
        catch (ToolSchemaException)
        {
            throw;
        }
        catch (Exception ex) when (ex is JsonException or JsonSchemaException or RefResolutionException or ArgumentException
                                       or KeyNotFoundException or InvalidOperationException)
        {
            throw new ToolSchemaException($"parametersSchema is not a usable JSON Schema: {ex.Message}");
        }
    }

    /// <summary>Null when the schema can be used; otherwise why not, for a 400 problem or the editor.</summary>
    public static string? Problem(string? schemaText)
    {
        if (string.IsNullOrWhiteSpace(schemaText)) return null; // the tool gets an empty object schema
        try
        {
            Build(schemaText);
            // A "$ref" that resolves nowhere would only fail when a call follows it: every one must point inside the schema.
            using var doc = JsonDocument.Parse(schemaText);
            return Refs(doc.RootElement).FirstOrDefault(r => !Resolves(doc.RootElement, r)) is { } broken
                ? $"parametersSchema is not a valid JSON Schema: \"$ref\": \"{broken}\" does not point to a part of this schema (only local references such as #/$defs/name are supported)."
                : null;
        }
        catch (ToolSchemaException ex)
        {
            return ex.Message;
        }
        catch (Exception ex) when (ex is JsonSchemaException or RefResolutionException or ArgumentException or KeyNotFoundException
                                       or InvalidOperationException)
        {
            return $"parametersSchema is not a valid JSON Schema: {ex.Message}";
        }
    }

    private static IEnumerable<string> Refs(JsonElement element)
    {
        if (element.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in element.EnumerateObject())
            {
                if (property.Name == "$ref" && property.Value.ValueKind == JsonValueKind.String) yield return property.Value.GetString()!;
                foreach (var inner in Refs(property.Value)) yield return inner;
            }
        }
        else if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in element.EnumerateArray())
            foreach (var inner in Refs(item)) yield return inner;
        }
    }

    /// <summary>A local JSON Pointer reference ("#", "#/$defs/x", "#/properties/a~1b") that exists in the document.</summary>
    private static bool Resolves(JsonElement root, string reference)
    {
        if (!reference.StartsWith('#')) return false;
        var current = root;
        foreach (var raw in reference[1..].Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            var token = Uri.UnescapeDataString(raw).Replace("~1", "/").Replace("~0", "~");
            if (current.ValueKind == JsonValueKind.Object && current.TryGetProperty(token, out var next)) current = next;
            else if (current.ValueKind == JsonValueKind.Array && int.TryParse(token, out var i) && i >= 0 && i < current.GetArrayLength()) current = current[i];
            else return false;
        }
        return true;
    }

    /// <summary>Why the arguments do not match the schema (empty when they do).</summary>
    public static IReadOnlyList<string> Check(JsonSchema schema, JsonElement arguments)
    {
        var results = schema.Evaluate(arguments, new EvaluationOptions { OutputFormat = OutputFormat.List });
        return results.IsValid ? [] : Reasons(results).Distinct().Take(MaxReasons).ToList();
    }

    private static string Describe(EvaluationResults results) => string.Join("; ", Reasons(results).Distinct().Take(MaxReasons));

    private static IEnumerable<string> Reasons(EvaluationResults results)
    {
        foreach (var node in (results.Details ?? []).Prepend(results))
        {
            if (node.Errors is not { Count: > 0 } errors) continue;
            var where = node.InstanceLocation.ToString();
            var at = where is "" or "#" or "/" ? "" : where.TrimStart('#').TrimStart('/').Replace('/', '.') + ": ";
            foreach (var error in errors.Values) yield return at + error;
        }
    }
}

public sealed class ToolSchemaException(string message) : Exception(message);

/// <summary>
/// The verified facts of the conversation a tool call belongs to, offered to templates as {{contact.phone}},
/// {{contact.id}}, {{contact.name}} and {{conversation.id}}. They come from the stored conversation, never from the
/// model's arguments, so a tool can be bound to the real sender whatever the customer talks the model into.
/// </summary>
public sealed record ToolCallContext(Guid? ContactId, string? ContactPhone, string? ContactName, Guid? ConversationId)
{
    public const string ContactPrefix = "contact.";
    public const string ConversationPrefix = "conversation.";

    /// <summary>No conversation at all (a direct runner call): every verified variable is empty.</summary>
    public static readonly ToolCallContext None = new(null, null, null, null);

    /// <summary>The owner's sandbox: recognisable stand-ins, never a real customer's data.</summary>
    public static readonly ToolCallContext Sandbox = new(Guid.Empty, "+10000000000", "Sandbox", Guid.Empty);

    /// <summary>True for names that only the conversation may fill (a model argument of that name is ignored).</summary>
    public static bool IsVerified(string name) =>
        name.StartsWith(ContactPrefix, StringComparison.Ordinal) || name.StartsWith(ConversationPrefix, StringComparison.Ordinal);

    /// <summary>The variable's value; null for an unknown verified name.</summary>
    public string? Value(string name) => name switch
    {
        "contact.phone" => ContactPhone ?? "",
        "contact.id" => ContactId?.ToString() ?? "",
        "contact.name" => ContactName ?? "",
        "conversation.id" => ConversationId?.ToString() ?? "",
        _ => null,
    };
}
