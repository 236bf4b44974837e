namespace OperatorConsole.Domain.Common;

/// <summary>
/// A sentence stored for people who read it later in their own language: the resource key and its values, plus the
/// English wording for logs, the API and rows written before keys existed. A value that starts with
/// <see cref="KeyPrefix"/> names a resource key itself (an enum's label, say), translated when shown.
/// </summary>
public sealed record TextRef(string Key, string English, params string[] Args)
{
    public const string KeyPrefix = "key:";

    /// <summary>A value shown as the translation of <paramref name="key"/>.</summary>
    public static string Word(string key) => KeyPrefix + key;
}
