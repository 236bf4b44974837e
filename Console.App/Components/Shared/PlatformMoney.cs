using System.Globalization;

namespace OperatorConsole.App.Components.Shared;

/// <summary>Platform prices and AI cost, in US dollars, written with the reader's digits.</summary>
public static class PlatformMoney
{
    public static string Usd(decimal amount, int decimals = 0) =>
        $"US$ {amount.ToString(decimals == 0 && amount == decimal.Truncate(amount) ? "N0" : $"N{Math.Max(decimals, 2)}", CultureInfo.CurrentCulture)}";
}
