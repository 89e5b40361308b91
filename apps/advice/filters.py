import django_filters

from data.filters import IdFilter
from data.models import Customer, Recommendation


class RecommendationFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=Recommendation.Kind.choices)
    status = django_filters.ChoiceFilter(choices=Recommendation.Status.choices)
    urgency = django_filters.ChoiceFilter(choices=Recommendation.Urgency.choices)
    segment = django_filters.ChoiceFilter(choices=Customer.Segment.choices)
    product = IdFilter(field_name="product_id")

    class Meta:
        model = Recommendation
        fields = ["kind", "status", "urgency", "segment", "product"]
