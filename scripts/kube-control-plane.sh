#!/usr/bin/env bash
# Builds (or reuses) the Kubernetes control plane the cluster tests run on loopback:
# kube-apiserver from the k8s.io/kubernetes module and etcd from go.etcd.io/etcd/server,
# both through the Go module proxy, at the versions below. The binaries are cached
# outside the clone in ~/.cache/switchyard/bin, named by version, so a rerun is instant;
# a cold build takes 15-45 minutes on two cores (most of it compiling kube-apiserver; 42
# minutes measured on a shared, busy machine), a rerun with the binaries present under a second.
#
# k8s.io/kubernetes is not meant to be required as a module: its go.mod points the
# k8s.io/* staging modules at ./staging/src/... by replace directives. Building it
# elsewhere means giving those modules their published v0.x versions, which is what the
# generated go.mod below does.
set -euo pipefail

KUBE_VERSION="${SY_KUBE_VERSION:-v1.34.4}"
ETCD_VERSION="v3.6.4"   # the etcd server k8s.io/kubernetes ${KUBE_VERSION} requires
BIN_DIR="${SY_KUBE_BIN_DIR:-$HOME/.cache/switchyard/bin}"
APISERVER="$BIN_DIR/kube-apiserver-$KUBE_VERSION"
ETCD="$BIN_DIR/etcd-$ETCD_VERSION"

if [ -x "$APISERVER" ] && [ -x "$ETCD" ]; then
  echo "$APISERVER"; echo "$ETCD"; exit 0
fi

staging_version="v0.${KUBE_VERSION#v1.}"
work="$HOME/.cache/switchyard/kube-build-$KUBE_VERSION"
mkdir -p "$work/etcd" "$BIN_DIR"
cd "$work"

# The replace block of k8s.io/kubernetes's own go.mod, each staging path mapped to its release.
go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" >/dev/null
replaces=$(sed -n '/^replace (/,/^)/p' "$(go env GOMODCACHE)/cache/download/k8s.io/kubernetes/@v/$KUBE_VERSION.mod" |
  awk -v v="$staging_version" '$2 == "=>" { printf "\t%s => %s %s\n", $1, $1, v }')

cat > go.mod <<MOD
module switchyard.dev/kube-control-plane

go 1.24.0

require (
	k8s.io/kubernetes $KUBE_VERSION
	go.etcd.io/etcd/server/v3 $ETCD_VERSION
)

replace (
$replaces
)
MOD
cat > tools.go <<'GO'
//go:build tools

package tools

import _ "k8s.io/kubernetes/cmd/kube-apiserver"
GO
cat > etcd/main.go <<'GO'
// etcd's own main: the server's etcdmain entry point.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO

start=$(date +%s)
go mod tidy -e >&2
[ -x "$ETCD" ] || { go build -trimpath -ldflags=-s -o "$ETCD.tmp" ./etcd && mv "$ETCD.tmp" "$ETCD"; }
# The version the server reports (/version, kubectl version), as Kubernetes' own build stamps it.
minor="${KUBE_VERSION#v1.}"; minor="${minor%%.*}"
version_flags="-X k8s.io/component-base/version.gitVersion=$KUBE_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/component-base/version.gitTreeState=clean"
[ -x "$APISERVER" ] || { go build -trimpath -ldflags="-s $version_flags" -o "$APISERVER.tmp" k8s.io/kubernetes/cmd/kube-apiserver && mv "$APISERVER.tmp" "$APISERVER"; }
echo "built kube-apiserver $KUBE_VERSION and etcd $ETCD_VERSION in $(( $(date +%s) - start ))s" >&2
echo "$APISERVER"; echo "$ETCD"
