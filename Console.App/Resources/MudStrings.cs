using Microsoft.Extensions.Localization;
using MudBlazor;

namespace OperatorConsole.App.Resources;

/// <summary>
/// MudBlazor's own texts (pager "1-4 of 4", "Rows per page", filter operators, close buttons' labels) from the same
/// shared strings as ours, under <c>Mud.{key}</c>. MudBlazor keeps its built-in English for English readers and asks this
/// for any other language; a key we have not translated falls back to its English.
/// </summary>
public sealed class MudStrings(IStringLocalizer<SharedResource> strings) : MudLocalizer
{
    public override LocalizedString this[string key] => Lookup(key, []);

    public override LocalizedString this[string key, params object[] arguments] => Lookup(key, arguments);

    private LocalizedString Lookup(string key, object[] arguments)
    {
        var found = arguments.Length == 0 ? strings["Mud." + key] : strings["Mud." + key, arguments];
        return new LocalizedString(key, found.Value, found.ResourceNotFound);
    }
}
