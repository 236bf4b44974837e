using System.Globalization;
using System.Text.RegularExpressions;
using OperatorConsole.Domain.Common;

namespace OperatorConsole.Domain.Contacts;

public enum CustomFieldType { Text, Number, Date, Choice }

/// <summary>
/// A tenant's own lead field ("budget", "treatment"). Values live in <see cref="Contact.Fields"/> under <see cref="Key"/>;
/// the definition says how a value must look, so an operator, the agent and an import all store the same shape.
/// </summary>
public sealed partial class CustomFieldDefinition : ITenantOwned
{
    private List<string> _choices = [];

    private CustomFieldDefinition() { }

    public Guid Id { get; private set; }
    public Guid TenantId { get; private set; }
    public string Key { get; private set; } = "";
    public string Label { get; private set; } = "";
    public CustomFieldType Type { get; private set; }
    public IReadOnlyList<string> Choices => _choices;
    public int Position { get; private set; }
    public DateTimeOffset CreatedAt { get; private set; }

    public static CustomFieldDefinition Create(Guid tenantId, string? key, string? label, CustomFieldType type, IEnumerable<string>? choices,
        int position, DateTimeOffset now)
    {
        var definition = new CustomFieldDefinition { Id = Guid.CreateVersion7(now), TenantId = tenantId, Key = NormalizeKey(key), CreatedAt = now };
        definition.Update(label, type, choices, position);
        return definition;
    }

    public void Update(string? label, CustomFieldType type, IEnumerable<string>? choices, int position)
    {
        label = label?.Trim() ?? "";
        if (label.Length is 0 or > 80) throw new DomainException("field.label", "A field label is required (at most 80 characters).");
        var list = (choices ?? []).Select(c => c.Trim()).Where(c => c.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        if (type == CustomFieldType.Choice && list.Count == 0)
            throw new DomainException("field.choices", "A choice field needs at least one choice.");
        if (list.Any(c => c.Length > 80) || list.Count > 50) throw new DomainException("field.choices", "At most 50 choices of 80 characters.");
        Label = label;
        Type = type;
        _choices = type == CustomFieldType.Choice ? list : [];
        Position = position;
    }

    /// <summary>Keys are what integrations and the agent send: lowercase letters, digits and underscores.</summary>
    public static string NormalizeKey(string? key)
    {
        var k = (key ?? "").Trim().ToLowerInvariant().Replace(' ', '_').Replace('-', '_');
        if (!KeyPattern().IsMatch(k))
            throw new DomainException("field.key", "A field key is 1 to 40 lowercase letters, digits or underscores, starting with a letter.");
        return k;
    }

    /// <summary>
    /// The stored form of <paramref name="raw"/> (numbers with a dot, dates as YYYY-MM-DD, a choice spelt as defined), or
    /// null to clear the field. A value that does not fit throws, naming the field, so the person can correct it.
    /// </summary>
    public string? Normalize(string? raw)
    {
        var text = raw?.Trim() ?? "";
        if (text.Length == 0) return null;
        switch (Type)
        {
            case CustomFieldType.Number:
                // People write "1,500.50", "1,500", "1500,5" and "1 500": commas before groups of three digits separate
                // thousands (as in Mexico); a single comma before anything else is a decimal comma.
                var n = text.Replace(" ", "");
                if (n.Contains(',') && n.Contains('.')) n = n.Replace(",", "");
                else if (n.Contains(',') && n.Split(',').Skip(1).All(g => g.Length == 3 && g.All(char.IsAsciiDigit))) n = n.Replace(",", "");
                else if (n.Count(c => c == ',') == 1) n = n.Replace(',', '.');
                if (!decimal.TryParse(n, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
                    throw new DomainException("field.number", $"{Label}: '{text}' is not a number.", Label, text);
                // Stored without trailing zeros ("1500.50" → "1500.5"), so equal numbers compare equal as text.
                return (number / 1.000000000000000000000000000000000m).ToString(CultureInfo.InvariantCulture);
            case CustomFieldType.Date:
                if (!DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
                    throw new DomainException("field.date", $"{Label}: '{text}' is not a date as YYYY-MM-DD.", Label, text);
                return date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            case CustomFieldType.Choice:
                var choice = _choices.FirstOrDefault(c => string.Equals(c, text, StringComparison.OrdinalIgnoreCase))
                    ?? throw new DomainException("field.choice", $"{Label}: '{text}' is not one of {string.Join(", ", _choices)}.", Label, text,
                        string.Join(", ", _choices));
                return choice;
            default:
                if (text.Length > 500) throw new DomainException("field.text", $"{Label}: at most 500 characters.", Label);
                return text;
        }
    }

    [GeneratedRegex("^[a-z][a-z0-9_]{0,39}$")]
    private static partial Regex KeyPattern();
}
