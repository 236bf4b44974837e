using System.Text.RegularExpressions;

namespace OperatorConsole.Domain.Contacts;

/// <summary>A practical e-mail check (one @, a dot in the domain, no spaces): what imports and inline edits accept.</summary>
public static partial class EmailAddress
{
    public static bool IsValid(string? text) => text is { Length: > 0 and <= 254 } && Pattern().IsMatch(text);

    [GeneratedRegex(@"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
    private static partial Regex Pattern();
}
