package k8s

// defaultProfileNamer reads AppArmor profile names; wired to the AppArmor
// package's parser.
var defaultProfileNamer ProfileNamer
