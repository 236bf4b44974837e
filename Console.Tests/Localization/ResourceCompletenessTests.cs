using System.Text.RegularExpressions;
using System.Xml.Linq;
using OperatorConsole.App.Hosting;

namespace OperatorConsole.Tests.Localization;

/// <summary>
/// Every sentence exists in Spanish and English, and every code the server can refuse with has its sentence: a gap would
/// show an English rule (or a bare key) to someone working in Spanish.
/// </summary>
public partial class ResourceCompletenessTests
{
    private static string Root => AppPaths.ContentRoot;

    private static Dictionary<string, string> Read(string file) =>
        XDocument.Load(Path.Combine(Root, "Console.App", "Resources", file)).Root!.Elements("data")
            .ToDictionary(d => (string)d.Attribute("name")!, d => (string?)d.Element("value") ?? "");

    private static readonly Dictionary<string, string> English = Read("SharedResource.resx");
    private static readonly Dictionary<string, string> Spanish = Read("SharedResource.es.resx");

    [Fact]
    public void Every_key_has_a_non_empty_Spanish_and_English_text_and_no_key_is_in_only_one_language()
    {
        Assert.Empty(English.Keys.Except(Spanish.Keys).Order());
        Assert.Empty(Spanish.Keys.Except(English.Keys).Order());
        Assert.Empty(English.Where(e => string.IsNullOrWhiteSpace(e.Value)).Select(e => "en " + e.Key));
        Assert.Empty(Spanish.Where(e => string.IsNullOrWhiteSpace(e.Value)).Select(e => "es " + e.Key));
        Assert.True(English.Count > 500);
    }

    [Fact]
    public void Both_languages_fill_the_same_placeholders()
    {
        var mismatched = English.Keys
            .Where(k => !Placeholders(English[k]).SetEquals(Placeholders(Spanish[k])))
            .Select(k => $"{k}: en {{{string.Join(",", Placeholders(English[k]))}}} es {{{string.Join(",", Placeholders(Spanish[k]))}}}");
        Assert.Empty(mismatched);
    }

    [Fact]
    public void The_resources_are_the_ones_tools_strings_py_writes()
    {
        // strings.py is the source of truth: a key edited only in a .resx would be lost at the next regeneration.
        var source = File.ReadAllText(Path.Combine(Root, "tools", "strings.py"));
        var keys = SourceKey().Matches(source).Select(m => m.Groups[1].Value).ToHashSet();
        Assert.Empty(English.Keys.Except(keys).Order());
        Assert.Empty(keys.Except(English.Keys).Order());
    }

    [Fact]
    public void Every_code_the_server_refuses_with_has_a_sentence_in_both_languages()
    {
        var codes = new[] { "Console.Domain", "Console.Infrastructure", "Console.App" }
            .SelectMany(project => Directory.EnumerateFiles(Path.Combine(Root, project), "*.cs", SearchOption.AllDirectories))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"))
            .SelectMany(f => RefusalCode().Matches(File.ReadAllText(f)).Select(m => m.Groups[1].Value))
            .ToHashSet();
        Assert.Contains("agent.time_zone", codes);
        Assert.Empty(codes.Where(c => !English.ContainsKey($"Error.{c}")).Order());
    }

    [Fact]
    public void Every_literal_key_a_screen_asks_for_exists()
    {
        var used = Directory.EnumerateFiles(Path.Combine(Root, "Console.App"), "*.*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".razor") || f.EndsWith(".cs"))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"))
            .SelectMany(f => LiteralKey().Matches(File.ReadAllText(f)).Select(m => m.Groups[1].Value))
            .ToHashSet();
        Assert.Empty(used.Where(k => !English.ContainsKey(k)).Order());
    }

    private static HashSet<string> Placeholders(string text) =>
        Placeholder().Matches(text.Replace("{{", "").Replace("}}", "")).Select(m => m.Groups[1].Value).ToHashSet();

    [GeneratedRegex(@"\{(\d+)(?::[^}]*)?\}")]
    private static partial Regex Placeholder();

    [GeneratedRegex(@"^\s*""([^""]+)"":\s*\(", RegexOptions.Multiline)]
    private static partial Regex SourceKey();

    // DomainException("code", …), ConflictException("code", …), ApiProblems.Of(status, "code", …), ApiProblems.Coded("code")
    [GeneratedRegex(@"(?:(?:DomainException|ConflictException)\(\s*|ApiProblems\.Of\([^,]+,\s*|Coded\(\s*)""([a-z_.A-Z]+)""")]
    private static partial Regex RefusalCode();

    [GeneratedRegex(@"\bL\[""([A-Za-z][A-Za-z0-9_.]+)""")]
    private static partial Regex LiteralKey();
}
