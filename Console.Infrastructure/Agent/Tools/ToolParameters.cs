using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace OperatorConsole.Infrastructure.Agent.Tools;

/// <summary>One row of the owner's parameter builder: a property of the tool's object schema.</summary>
public sealed class ToolParameter
{
    public static readonly IReadOnlyList<string> Types = ["string", "number", "integer", "boolean"];

    public string Name { get; set; } = "";
    public string Type { get; set; } = "string";
    public string? Description { get; set; }
    public bool Required { get; set; }

    /// <summary>The allowed values, comma-separated as the owner types them (empty = any value).</summary>
    public string? EnumValues { get; set; }

    public IReadOnlyList<string> EnumList =>
        (EnumValues ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
}

/// <summary>
/// The parameter builder's two directions: rows → the JSON Schema the tool stores, and a stored schema → rows. Only the
/// shape the builder writes is read back (an object of string/number/integer/boolean properties with description,
/// required and enum); anything richer stays raw JSON so an integrator's schema is never rewritten behind their back.
/// </summary>
public static class ToolParameters
{
    private static readonly HashSet<string> RootKeys = ["type", "properties", "required"];
    private static readonly HashSet<string> PropertyKeys = ["type", "description", "enum"];
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static string Build(IEnumerable<ToolParameter> rows)
    {
        var properties = new JsonObject();
        var required = new JsonArray();
        foreach (var row in rows.Where(r => !string.IsNullOrWhiteSpace(r.Name)))
        {
            var name = row.Name.Trim();
            var property = new JsonObject { ["type"] = row.Type };
            if (!string.IsNullOrWhiteSpace(row.Description)) property["description"] = row.Description.Trim();
            if (row.Type != "boolean" && row.EnumList.Count > 0)
                property["enum"] = new JsonArray(row.EnumList.Select(v => EnumValue(row.Type, v)).ToArray());
            properties[name] = property;
            if (row.Required) required.Add(name);
        }
        var schema = new JsonObject { ["type"] = "object", ["properties"] = properties };
        if (required.Count > 0) schema["required"] = required;
        return schema.ToJsonString(Indented);
    }

    // A number the owner typed goes in as a JSON number (so the model's 2 matches it); anything else as text, which the
    // schema check then reports.
    private static JsonNode? EnumValue(string type, string value) => type switch
    {
        "integer" when long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) => JsonValue.Create(i),
        "number" when decimal.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => JsonValue.Create(d),
        _ => JsonValue.Create(value),
    };

    /// <summary>The rows for a stored schema, or null when the builder cannot show it exactly (edit it as JSON).</summary>
    public static List<ToolParameter>? Read(string? schemaText)
    {
        if (string.IsNullOrWhiteSpace(schemaText)) return [];
        try
        {
            using var doc = JsonDocument.Parse(schemaText);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || root.EnumerateObject().Any(p => !RootKeys.Contains(p.Name))) return null;
            if (!root.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String || type.GetString() != "object") return null;
            var required = new HashSet<string>();
            if (root.TryGetProperty("required", out var req))
            {
                if (req.ValueKind != JsonValueKind.Array || req.EnumerateArray().Any(r => r.ValueKind != JsonValueKind.String)) return null;
                required.UnionWith(req.EnumerateArray().Select(r => r.GetString()!));
            }
            var rows = new List<ToolParameter>();
            if (root.TryGetProperty("properties", out var properties))
            {
                if (properties.ValueKind != JsonValueKind.Object) return null;
                foreach (var p in properties.EnumerateObject())
                {
                    if (ReadRow(p.Name, p.Value, required.Contains(p.Name)) is not { } row) return null;
                    rows.Add(row);
                }
            }
            // A required name with no property cannot be shown as a row.
            return required.All(r => rows.Any(x => x.Name == r)) ? rows : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static ToolParameter? ReadRow(string name, JsonElement property, bool required)
    {
        if (property.ValueKind != JsonValueKind.Object || property.EnumerateObject().Any(p => !PropertyKeys.Contains(p.Name))) return null;
        if (!property.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String || !ToolParameter.Types.Contains(type.GetString())) return null;
        var row = new ToolParameter { Name = name, Type = type.GetString()!, Required = required };
        if (property.TryGetProperty("description", out var description))
        {
            if (description.ValueKind != JsonValueKind.String) return null;
            row.Description = description.GetString();
        }
        if (property.TryGetProperty("enum", out var values))
        {
            if (values.ValueKind != JsonValueKind.Array || row.Type == "boolean") return null;
            var expected = row.Type == "string" ? JsonValueKind.String : JsonValueKind.Number;
            // A comma inside a value could not come back from the comma-separated field.
            if (values.EnumerateArray().Any(v => v.ValueKind != expected || (expected == JsonValueKind.String && v.GetString()!.Contains(','))))
                return null;
            row.EnumValues = string.Join(", ", values.EnumerateArray().Select(v => v.ValueKind == JsonValueKind.String ? v.GetString() : v.GetRawText()));
        }
        return row;
    }

    /// <summary>Sample arguments as the Test button sends them: typed from the rows (a number field becomes a JSON number).</summary>
    public static JsonElement Arguments(IEnumerable<ToolParameter> rows, IReadOnlyDictionary<string, string?> values)
    {
        var args = new JsonObject();
        foreach (var row in rows)
        {
            if (!values.TryGetValue(row.Name, out var raw) || string.IsNullOrWhiteSpace(raw)) continue;
            var text = raw.Trim();
            args[row.Name] = row.Type switch
            {
                "integer" when long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) => JsonValue.Create(i),
                "number" when decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => JsonValue.Create(d),
                "boolean" when bool.TryParse(text, out var b) => JsonValue.Create(b),
                _ => JsonValue.Create(text),
            };
        }
        return JsonSerializer.SerializeToElement(args);
    }

    /// <summary>A plausible value to start the Test from: the first allowed one, or one of the type.</summary>
    public static string Sample(ToolParameter row) => row.EnumList.FirstOrDefault() ?? row.Type switch
    {
        "integer" => "1",
        "number" => "1.5",
        "boolean" => "true",
        _ => "",
    };
}
