package main

import (
	"fmt"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
)

// strictDecoder decodes the built-in Kubernetes kinds and the Prometheus Operator's
// (ServiceMonitor) in strict mode: an unknown or duplicated field is an error, as it is
// for `kubectl apply --validate=strict`.
var strictDecoder = func() runtime.Decoder {
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		panic(err)
	}
	if err := monitoringv1.AddToScheme(scheme); err != nil {
		panic(err)
	}
	return serializer.NewCodecFactory(scheme, serializer.EnableStrict).UniversalDeserializer()
}()

// DecodeStrict decodes every document of a YAML stream into typed Kubernetes objects.
// An unknown kind or apiVersion, a field the schema does not have, or a value of the
// wrong type is an error naming the document.
func DecodeStrict(stream string) ([]runtime.Object, error) {
	var objs []runtime.Object
	for i, doc := range SplitDocuments(stream) {
		obj, gvk, err := strictDecoder.Decode([]byte(doc), nil, nil)
		if err != nil {
			return nil, fmt.Errorf("document %d (%s): %w", i+1, firstLines(doc), err)
		}
		if gvk.Kind == "" {
			return nil, fmt.Errorf("document %d (%s): no kind", i+1, firstLines(doc))
		}
		objs = append(objs, obj)
	}
	return objs, nil
}

// firstLines names a document in an error: its "# Source:" line or its first lines.
func firstLines(doc string) string {
	const max = 120
	s := []rune(doc)
	for len(s) > 0 && (s[0] == '\n' || s[0] == ' ') {
		s = s[1:]
	}
	if len(s) > max {
		s = append(s[:max], '…')
	}
	return string(s)
}
