namespace Strata.Storage.FileSystem;

/// <summary>Options of the filesystem object store.</summary>
public sealed class FileSystemObjectStoreOptions
{
    /// <summary>The folder under which each object is a file at its key's relative path.</summary>
    /// <value>The default is <c>$STRATA_HOME/objects</c> (<c>~/.strata/objects</c> when <c>STRATA_HOME</c> is unset).</value>
    public string RootPath { get; set; } = Path.Combine(StrataHome.Resolve(), "objects");
}
