namespace Strata.ControlPlane.Drills;

/// <summary>Names of the scratch deployments and servers that drills start, kept within the providers' 63 characters.</summary>
internal static class ScratchNames
{
    /// <summary>The first <paramref name="length"/> characters of <paramref name="text"/>, without a dash at the end.</summary>
    public static string Truncate(string text, int length) => text.Length <= length ? text : text[..length].TrimEnd('-');
}
